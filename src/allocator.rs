//! The memory allocator's settings, for glibc (elsewhere these do nothing).
//!
//! glibc gives each thread that allocates its own arena, up to eight per core, and returns
//! little of an arena's freed memory to the system: with the runtime's workers, the blocking
//! pool and the GPU sampler, a third of the console's RSS was freed memory kept in arenas.
//! [`limit_arenas`] caps them at two (unless `MALLOC_ARENA_MAX` is set, so it can be
//! compared), and [`trim`] hands freed pages back; the console calls it while start-up
//! settles, then every half minute.

/// Arenas glibc may create (the main one included).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS: i32 = 2;

/// Caps glibc's arenas. Call first thing in `main`, before any thread starts.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a malloc tunable (M_ARENA_MAX is a plain integer); it
        // takes malloc's own lock and has no memory-safety preconditions.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, ARENAS);
        }
    }
}

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
