//! Password hashing with argon2id at OWASP's recommended parameters, as PHC strings, and
//! [`PasswordWork`], which bounds how much of it runs at once.

use std::cell::RefCell;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{oneshot, Semaphore};

/// How long a request waits for its turn to hash before it is answered 503.
const QUEUE_WAIT: Duration = Duration::from_secs(2);

type Job = Box<dyn FnOnce() + Send>;

/// Every password hash and check of the daemon runs here: on a few threads of its own, one
/// hash per thread at a time. Each hash takes 19 MiB, so memory stays bounded by the thread
/// count whatever the load (the allocator keeps at most one hash's memory per thread), and a
/// flood of logins waits briefly and is then refused, instead of growing the daemon.
#[derive(Clone)]
pub struct PasswordWork {
    turns: Arc<Semaphore>,
    jobs: mpsc::SyncSender<Job>,
}

/// All hashing threads stayed busy for the whole wait.
#[derive(Debug)]
pub struct Busy;

impl PasswordWork {
    /// Starts `threads` hashing threads; they end when the last handle is dropped.
    pub fn start(threads: usize) -> PasswordWork {
        // A job is queued only by a holder of a turn, so the queue never holds more than one
        // job per thread.
        let (jobs, queue) = mpsc::sync_channel::<Job>(threads);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || loop {
                    let job = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).recv();
                    let Ok(job) = job else { return };
                    // A panicking job must not take its thread, and with it the capacity, away.
                    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                        tracing::error!("a password job panicked");
                    }
                })
                .expect("a password thread starts");
        }
        PasswordWork { turns: Arc::new(Semaphore::new(threads)), jobs }
    }

    /// As many threads as cores, at least two and at most four.
    pub fn for_this_machine() -> PasswordWork {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        PasswordWork::start(cores.clamp(2, 4))
    }

    /// Runs `work` on a hashing thread once one is free, waiting at most [`QUEUE_WAIT`].
    /// The turn goes with the job and ends when the job does, so a caller that goes away
    /// (a client that disconnects) cannot leave work running beyond the bound; a job whose
    /// caller is gone before it starts is skipped.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
        let turn = tokio::time::timeout(QUEUE_WAIT, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _turn = turn;
            if !done.is_closed() {
                let _ = done.send(work());
            }
        });
        self.jobs.try_send(job).map_err(|_| Busy)?;
        result.await.map_err(|_| Busy)
    }
}

fn hasher() -> Argon2<'static> {
    // OWASP: m = 19 MiB, t = 2, p = 1.
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(19 * 1024, 2, 1, None).expect("valid params"))
}

thread_local! {
    /// The working memory of argon2 on this thread, allocated once and reused: memory stays
    /// flat however many hashes run, instead of depending on what the allocator keeps.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `blocks` blocks of this thread's working memory, wiped afterwards so that no
/// password-derived state stays behind.
fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            *memory = vec![Block::default(); blocks];
        }
        let result = f(&mut memory[..blocks]);
        memory[..blocks].fill(Block::default());
        result
    })
}

/// The raw argon2 output for `password` and a salt, as long as `len`.
fn compute(argon: &Argon2<'_>, password: &[u8], salt: Salt<'_>, len: usize) -> Option<Output> {
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).ok()?;
    let mut out = vec![0u8; len];
    with_memory(argon.params().block_count(), |memory| {
        argon.hash_password_into_with_memory(password, salt, &mut out, memory)
    })
    .ok()?;
    Output::new(&out).ok()
}

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let argon = hasher();
    let output = compute(&argon, password.as_bytes(), salt.as_salt(), Params::DEFAULT_OUTPUT_LEN)
        .expect("argon2 hashing cannot fail with valid params");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).expect("valid params"),
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string()
}

/// Checks `password` against a PHC string; a malformed hash never matches. The comparison of
/// outputs takes constant time.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    let (Ok(algorithm), Some(salt), Some(expected)) = (Algorithm::try_from(parsed.algorithm), parsed.salt, parsed.hash)
    else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let argon = Argon2::new(algorithm, version, params);
    compute(&argon, password.as_bytes(), salt, expected.len()).is_some_and(|output| output == expected)
}

/// Runs a verification that cannot succeed, so an unknown email costs as much as a wrong password.
pub fn verify_against_nothing(password: &str, dummy_phc: &str) {
    let _ = verify(password, dummy_phc);
}

impl From<Busy> for crate::error::ApiError {
    fn from(_: Busy) -> crate::error::ApiError {
        shared::Status::new(
            shared::Reason::ServiceUnavailable,
            "too many password checks are in progress; retry shortly",
        )
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_past_the_queue_wait_is_refused() {
        let work = PasswordWork::start(1);
        let slow = work.clone();
        let busy = tokio::spawn(async move { slow.run(|| std::thread::sleep(QUEUE_WAIT * 2)).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(work.run(|| ()).await.is_err());
        assert!(busy.await.unwrap().is_ok());
        assert_eq!(work.run(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_caller_that_goes_away_keeps_its_turn_until_its_work_ends() {
        let work = PasswordWork::start(1);
        let slow = work.clone();
        let gone = tokio::spawn(async move { slow.run(|| std::thread::sleep(Duration::from_millis(600))).await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        gone.abort();
        // The aborted caller's work still runs, and holds the only turn while it does.
        assert_eq!(work.turns.available_permits(), 0);
        assert_eq!(work.run(|| 1).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_panicking_job_leaves_its_thread_working() {
        let work = PasswordWork::start(1);
        assert!(work.run(|| panic!("boom")).await.is_err());
        assert_eq!(work.run(|| 2).await.unwrap(), 2);
    }

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify() {
        let h = hash("correct horse");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn hashes_made_by_the_argon2_crate_itself_verify_and_the_other_way_round() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let theirs = hasher().hash_password(b"correct horse", &SaltString::generate(&mut OsRng)).unwrap().to_string();
        assert!(verify("correct horse", &theirs));
        assert!(!verify("correct horsf", &theirs));
        let ours = hash("correct horse");
        assert!(hasher().verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap()).is_ok());
    }
}
