//! `GET /metrics`: Prometheus figures of this replica. Requests by route template, method and
//! status code (never an object's name or a token), the database pool, the authentication
//! cache, the audit queue, watch streams and the process. Encoded by `prometheus-client`.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

/// Static strings and a number: counting a request allocates nothing.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route template (`/api/v1/{plural}/{name}`), or `unmatched`.
    pub route: &'static str,
    pub method: &'static str,
    pub code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

fn request_buckets() -> Histogram {
    // 0.5 ms to about 8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RequestLabels, Histogram, fn() -> Histogram>,
    pool: Family<StateLabels, Gauge>,
    pool_max: Gauge,
    acquire_seconds: Histogram,
    auth_cache_hits: Counter,
    auth_cache_misses: Counter,
    /// Audit events recorded and not yet written.
    pub audit_queued: Gauge,
    /// Audit events that could not be written.
    pub audit_dropped: Counter,
    /// Watch streams open now.
    pub watch_streams: Gauge,
    resident: Gauge,
    virtual_memory: Gauge,
    cpu_seconds: Gauge<f64, AtomicU64>,
    open_fds: Gauge,
    start_time: Gauge<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "mcpd_http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let durations = Family::<RequestLabels, Histogram, fn() -> Histogram>::new_with_constructor(request_buckets);
        registry.register_with_unit(
            "mcpd_http_request_duration",
            "Time to answer HTTP requests, by route template, method and status",
            Unit::Seconds,
            durations.clone(),
        );
        let pool = Family::<StateLabels, Gauge>::default();
        registry.register("mcpd_db_pool_connections", "Database connections of the pool, in use or idle", pool.clone());
        let pool_max = Gauge::default();
        registry.register("mcpd_db_pool_max_connections", "The most connections the pool opens", pool_max.clone());
        let acquire_seconds = Histogram::new(exponential_buckets(0.0001, 4.0, 10));
        registry.register_with_unit(
            "mcpd_db_pool_acquire",
            "Time spent waiting for a database connection to begin a write",
            Unit::Seconds,
            acquire_seconds.clone(),
        );
        let auth_cache = Family::<ResultLabels, Counter>::default();
        registry.register("mcpd_auth_cache_lookups", "Authentication cache lookups, hit or miss", auth_cache.clone());
        // Both series exist from the start, and counting touches no map.
        let auth_cache_hits = auth_cache.get_or_create(&ResultLabels { result: "hit" }).clone();
        let auth_cache_misses = auth_cache.get_or_create(&ResultLabels { result: "miss" }).clone();
        let audit_queued = Gauge::default();
        registry.register("mcpd_audit_queue_depth", "Audit events recorded and not yet written", audit_queued.clone());
        let audit_dropped = Counter::default();
        registry.register("mcpd_audit_dropped_events", "Audit events that could not be written", audit_dropped.clone());
        let watch_streams = Gauge::default();
        registry.register("mcpd_watch_streams", "Watch streams open now", watch_streams.clone());
        let resident = Gauge::default();
        registry.register_with_unit("process_resident_memory", "Resident memory", Unit::Bytes, resident.clone());
        let virtual_memory = Gauge::default();
        registry.register_with_unit("process_virtual_memory", "Virtual memory", Unit::Bytes, virtual_memory.clone());
        let cpu_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "process_cpu",
            "User and system CPU time spent",
            Unit::Seconds,
            cpu_seconds.clone(),
        );
        let open_fds = Gauge::default();
        registry.register("process_open_fds", "Open file descriptors", open_fds.clone());
        let start_time = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "process_start_time",
            "Start time of the process since the Unix epoch",
            Unit::Seconds,
            start_time.clone(),
        );
        Metrics {
            registry,
            requests,
            durations,
            pool,
            pool_max,
            acquire_seconds,
            auth_cache_hits,
            auth_cache_misses,
            audit_queued,
            audit_dropped,
            watch_streams,
            resident,
            virtual_memory,
            cpu_seconds,
            open_fds,
            start_time,
        }
    }

    pub fn observe_request(&self, labels: RequestLabels, took: Duration) {
        self.durations.get_or_create(&labels).observe(took.as_secs_f64());
        self.requests.get_or_create(&labels).inc();
    }

    pub fn observe_acquire(&self, took: Duration) {
        self.acquire_seconds.observe(took.as_secs_f64());
    }

    pub fn auth_cache(&self, hit: bool) {
        if hit {
            self.auth_cache_hits.inc();
        } else {
            self.auth_cache_misses.inc();
        }
    }

    /// The text exposition, with the figures read at scrape time brought up to date.
    pub fn encode(&self, pool_size: u32, pool_idle: usize, pool_max: u32) -> String {
        let in_use = i64::from(pool_size).saturating_sub(pool_idle as i64);
        self.pool.get_or_create(&StateLabels { state: "in_use" }).set(in_use);
        self.pool.get_or_create(&StateLabels { state: "idle" }).set(pool_idle as i64);
        self.pool_max.set(i64::from(pool_max));
        if let Some(process) = ProcessFigures::read() {
            self.resident.set(process.resident_bytes);
            self.virtual_memory.set(process.virtual_bytes);
            self.cpu_seconds.set(process.cpu_seconds);
            self.open_fds.set(process.open_fds);
            self.start_time.set(process.start_time);
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("writing to a String cannot fail");
        text
    }
}

/// What `/proc` says about this process (Linux; elsewhere nothing is reported).
struct ProcessFigures {
    resident_bytes: i64,
    virtual_bytes: i64,
    cpu_seconds: f64,
    open_fds: i64,
    start_time: f64,
}

impl ProcessFigures {
    fn read() -> Option<ProcessFigures> {
        // Fields after the command name, which is in parentheses and may hold spaces.
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let field = |n: usize| -> Option<f64> { fields.get(n - 3)?.parse().ok() };
        // USER_HZ: fixed at 100 by Linux's ABI on every architecture.
        const TICKS: f64 = 100.0;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let kib = |name: &str| -> Option<i64> {
            let line = status.lines().find(|l| l.starts_with(name))?;
            line.split_whitespace().nth(1)?.parse::<i64>().ok().map(|k| k * 1024)
        };
        let boot = std::fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("btime ").and_then(|b| b.trim().parse::<f64>().ok()))?;
        Some(ProcessFigures {
            resident_bytes: kib("VmRSS:")?,
            virtual_bytes: kib("VmSize:")?,
            cpu_seconds: (field(14)? + field(15)?) / TICKS,
            open_fds: std::fs::read_dir("/proc/self/fd").ok()?.count() as i64,
            start_time: boot + field(22)? / TICKS,
        })
    }
}
