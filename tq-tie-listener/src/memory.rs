//! Giving freed heap back to the system between bursts.
//!
//! A batch of 500 changes builds about a megabyte of request and answer on the writer
//! thread. glibc keeps what is freed in each thread's arena for reuse, so after a burst the
//! listener would sit on its peak heap for the rest of its life. When the queue has been
//! drained, [`release_free_heap`] asks glibc to hand the free pages of every arena back
//! (`malloc_trim(0)`, which also releases free pages in the middle of a heap).

/// Returns the free pages of every malloc arena to the system (glibc); a no-op elsewhere.
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes no pointers and only walks glibc's own arenas under
        // their locks; it is safe to call from any thread at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}
