//! The memory allocator's settings, for glibc (elsewhere these do nothing).
//!
//! glibc gives each thread that allocates its own arena, up to eight per core, and returns
//! little of an arena's freed memory to the system: with the runtime's workers, the blocking
//! pool and the GPU sampler, a third of the console's RSS was freed memory kept in arenas.
//! [`limit_arenas`] caps them at two (unless `MALLOC_ARENA_MAX` is set, so it can be
//! compared), and [`trim`] hands freed pages back; the console calls it while start-up
//! settles, then every half minute.
//!
//! The console goes further ([`tune_for_console`]): one arena, so the objects the watchers
//! parse on the runtime's workers and what the UI thread keeps share one heap instead of
//! leaving two half-empty; and blocks of [`CONSOLE_MMAP_THRESHOLD`] or more (a list page's
//! body, a metrics page) in mappings of their own, returned whole when freed, rather than
//! in the heap among the objects that stay. Measured at 2,000 services, once settled: RSS
//! 62–65 MB instead of 68–71 with two arenas. Headless commands and the simulated cluster
//! (many connections served at once) keep two arenas.

/// Arenas glibc may create (the main one included).
const ARENAS: i32 = 2;

/// Arenas of the console.
const CONSOLE_ARENAS: i32 = 1;

/// Blocks at least this large get a mapping of their own in the console. (glibc starts at
/// 128 KB and raises it to the largest block freed, up to 32 MB: after the first big list
/// page, every later one was carved from the heap.)
pub const CONSOLE_MMAP_THRESHOLD: i32 = 64 * 1024;

/// Caps glibc's arenas. Call first thing in `main`, before any thread starts.
pub fn limit_arenas() {
    set_unless_in_env("MALLOC_ARENA_MAX", ARENA_MAX, ARENAS);
}

/// The console's settings (see the module doc), unless set in the environment (so they can
/// be compared). Call before any thread starts.
pub fn tune_for_console() {
    set_unless_in_env("MALLOC_ARENA_MAX", ARENA_MAX, CONSOLE_ARENAS);
    set_unless_in_env(
        "MALLOC_MMAP_THRESHOLD_",
        MMAP_THRESHOLD,
        CONSOLE_MMAP_THRESHOLD,
    );
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENA_MAX: i32 = libc::M_ARENA_MAX;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: i32 = libc::M_MMAP_THRESHOLD;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
const ARENA_MAX: i32 = 0;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
const MMAP_THRESHOLD: i32 = 0;

/// Sets a malloc tunable, unless its environment variable already did.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_unless_in_env(variable: &str, param: i32, value: i32) {
    if std::env::var_os(variable).is_none() {
        // SAFETY: mallopt only sets a malloc tunable (a plain integer); it takes malloc's
        // own lock and has no memory-safety preconditions.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(param, value);
        }
    }
}

/// Other allocators have no such tunables.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_unless_in_env(_variable: &str, _param: i32, _value: i32) {}

/// Returns the freed memory at the top and in the middle of the heaps to the system.
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes malloc's locks itself and only releases pages no allocation
    // uses; it has no preconditions.
    #[allow(unsafe_code)]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Calls [`trim`] on a thread of its own for the life of the process: often while start-up
/// settles (after 1, 2, 4, 8 and 16 s: the first lists leave the most garbage), then every
/// `every`.
pub fn trim_every(every: std::time::Duration) {
    let started = std::thread::Builder::new()
        .name("kdeck-trim".to_string())
        .spawn(move || {
            let mut wait = std::time::Duration::from_secs(1);
            loop {
                std::thread::sleep(wait);
                trim();
                wait = (wait * 2).min(every);
            }
        });
    if let Err(e) = started {
        tracing::debug!("no memory trim thread: {e}");
    }
}
