//! `-o custom-columns=NAME:.metadata.name,...` and `--sort-by=.path`, as kubectl has them.

use serde_json::Value;

use super::jsonpath::{display, Path};

/// Columns as `HEADER:path` pairs, from `-o custom-columns=` or a columns file.
#[derive(Clone, Debug, PartialEq)]
pub struct Columns {
    columns: Vec<(String, Path)>,
}

impl Columns {
    /// `NAME:.metadata.name,TRANSPORT:.spec.transport`.
    pub fn parse(spec: &str) -> Result<Columns, String> {
        let columns = spec
            .split(',')
            .map(|column| {
                let (header, path) =
                    column.split_once(':').ok_or_else(|| format!("custom column {column:?} is not HEADER:JSONPATH"))?;
                Ok((header.trim().to_owned(), Path::parse(unbrace(path))?))
            })
            .collect::<Result<Vec<_>, String>>()?;
        if columns.is_empty() || columns.iter().any(|(h, _)| h.is_empty()) {
            return Err("custom columns need a header each, as in NAME:.metadata.name".to_owned());
        }
        Ok(Columns { columns })
    }

    /// kubectl's columns file: headers on the first line, paths on the second, lined up by
    /// whitespace.
    pub fn parse_file(text: &str) -> Result<Columns, String> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let (Some(headers), Some(paths)) = (lines.next(), lines.next()) else {
            return Err("a custom-columns file has a line of headers and a line of paths".to_owned());
        };
        let (headers, paths): (Vec<&str>, Vec<&str>) =
            (headers.split_whitespace().collect(), paths.split_whitespace().collect());
        if headers.len() != paths.len() {
            return Err(format!("{} headers but {} paths in the custom-columns file", headers.len(), paths.len()));
        }
        let spec: Vec<String> = headers.iter().zip(&paths).map(|(h, p)| format!("{h}:{p}")).collect();
        Columns::parse(&spec.join(","))
    }

    pub fn header(&self) -> Vec<String> {
        self.columns.iter().map(|(h, _)| h.clone()).collect()
    }

    /// One row: each column's values joined by commas, `<none>` where there is none.
    pub fn row(&self, object: &Value) -> Vec<String> {
        self.columns
            .iter()
            .map(|(_, path)| {
                let found: Vec<String> = path.select(object).into_iter().map(display).collect();
                if found.is_empty() {
                    "<none>".to_owned()
                } else {
                    found.join(",")
                }
            })
            .collect()
    }
}

/// `{.a.b}` as `.a.b`: columns and sort keys take one path, with or without braces.
fn unbrace(path: &str) -> &str {
    let path = path.trim();
    path.strip_prefix('{').and_then(|p| p.strip_suffix('}')).unwrap_or(path)
}

/// A `--sort-by` key.
pub fn sort_key(spec: &str) -> Result<Path, String> {
    Path::parse(unbrace(spec))
}

/// Sorts objects by the value a path selects: numbers by value, everything else as text;
/// objects without it first, as kubectl does.
pub fn sort_by(objects: &mut [Value], key: &Path) {
    let value_of = |o: &Value| key.select(o).first().map(|v| (*v).clone());
    objects.sort_by(|a, b| match (value_of(a), value_of(b)) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(std::cmp::Ordering::Equal)
        }
        (x, y) => x.as_ref().map(display).cmp(&y.as_ref().map(display)),
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn columns_read_from_flags_and_files_alike() {
        let flag = Columns::parse("NAME:.metadata.name,ARGS:{.spec.args[*]},URL:.spec.url").unwrap();
        let file =
            Columns::parse_file("NAME   ARGS            URL\n.metadata.name  {.spec.args[*]}  .spec.url\n").unwrap();
        assert_eq!(flag, file);
        let object = json!({"metadata": {"name": "gh"}, "spec": {"args": ["-y", "x"]}});
        assert_eq!(flag.header(), ["NAME", "ARGS", "URL"]);
        assert_eq!(flag.row(&object), ["gh", "-y,x", "<none>"]);
        assert!(Columns::parse("NAME").is_err());
        assert!(Columns::parse_file("A B\n.a\n").is_err());
    }

    #[test]
    fn sorting_compares_numbers_as_numbers() {
        let mut objects = vec![json!({"n": 10, "s": "b"}), json!({"n": 9, "s": "c"}), json!({"s": "a"})];
        sort_by(&mut objects, &sort_key(".n").unwrap());
        assert_eq!(objects.iter().map(|o| o["s"].as_str().unwrap()).collect::<String>(), "acb");
        sort_by(&mut objects, &sort_key("{.s}").unwrap());
        assert_eq!(objects.iter().map(|o| o["s"].as_str().unwrap()).collect::<String>(), "abc");
    }
}
