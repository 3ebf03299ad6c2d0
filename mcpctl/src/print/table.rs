//! kubectl-style tables: uppercase headers, no borders, NAME first and AGE last.

use comfy_table::{CellAlignment, ColumnConstraint, Table};
use shared::{KindInfo, Object};

/// kubectl's table options.
pub struct Options<'a> {
    pub wide: bool,
    pub headers: bool,
    /// A LABELS column (wide tables have one already).
    pub show_labels: bool,
    /// A column per label key (`-L`).
    pub label_columns: &'a [String],
}

pub fn render(kind: &KindInfo, objects: &[Object], options: &Options<'_>) -> String {
    let columns: Vec<_> = kind.columns.iter().filter(|c| options.wide || !c.wide).collect();
    let labels_shown = columns.iter().any(|c| c.header == "LABELS");
    let mut header = vec!["NAME".to_owned()];
    header.extend(columns.iter().map(|c| c.header.to_owned()));
    header.push(kind.age_header.to_owned());
    header.extend(options.label_columns.iter().map(|k| k.to_uppercase()));
    let add_labels = options.show_labels && !labels_shown;
    if add_labels {
        header.push("LABELS".to_owned());
    }
    let rows = objects.iter().map(|o| {
        let mut row = vec![o.metadata.name.clone()];
        row.extend(columns.iter().map(|c| (c.value)(o)));
        row.push(o.metadata.created_at.as_deref().map(age).unwrap_or_else(|| "<unknown>".to_owned()));
        row.extend(options.label_columns.iter().map(|k| o.metadata.labels.get(k).cloned().unwrap_or_default()));
        if add_labels {
            let labels: Vec<String> = o.metadata.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            row.push(if labels.is_empty() { "<none>".to_owned() } else { labels.join(",") });
        }
        row
    });
    plain_table(options.headers.then_some(header), rows)
}

/// A borderless table with three spaces between columns and no trailing spaces; without a
/// header when `header` is `None` (`--no-headers`).
pub fn plain_table(header: Option<Vec<String>>, rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut table = Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
    if let Some(header) = header {
        table.set_header(header);
    }
    for row in rows {
        table.add_row(row.iter().map(|cell| super::terminal::escaped(cell).into_owned()));
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 3));
        column.set_cell_alignment(CellAlignment::Left);
        column.set_constraint(ColumnConstraint::ContentWidth);
    }
    let mut text: String = table.lines().map(|line| line.trim_end().to_owned() + "\n").collect();
    text.truncate(text.trim_end().len());
    text
}

/// Time since an RFC 3339 timestamp, the way kubectl prints AGE.
pub fn age(rfc3339: &str) -> String {
    let Ok(then) = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339) else {
        return "<unknown>".to_owned();
    };
    human_duration((time::OffsetDateTime::now_utc() - then).whole_seconds().max(0))
}

fn human_duration(secs: i64) -> String {
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86400);
    if secs < 120 {
        format!("{secs}s")
    } else if m < 10 {
        format!("{m}m{}s", secs % 60)
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        format!("{h}h{}m", m % 60)
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        format!("{d}d{}h", h % 24)
    } else if d < 365 * 2 {
        format!("{d}d")
    } else if d < 365 * 8 {
        format!("{}y{}d", d / 365, d % 365)
    } else {
        format!("{}y", d / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_kubectl() {
        let cases = [
            (5, "5s"),
            (150, "2m30s"),
            (900, "15m"),
            (4 * 3600 + 60, "4h1m"),
            (30 * 3600, "30h"),
            (3 * 86400, "3d0h"),
            (40 * 86400, "40d"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration(secs), want);
        }
    }

    #[test]
    fn tables_have_no_borders_or_trailing_spaces() {
        let t = plain_table(Some(vec!["NAME".into(), "AGE".into()]), vec![vec!["github".into(), "5s".into()]]);
        assert_eq!(t, "NAME     AGE\ngithub   5s");
    }
}
