//! The only unsafe code of the project, in one audited place: the C calls the standard
//! library has no safe wrapper for. Every other crate is `#![forbid(unsafe_code)]`.
//!
//! - [`EchoOff`]: terminal echo off while a secret is typed (`tcgetattr`/`tcsetattr`).
//! - [`release_free_heap`]: hand the free pages of every malloc arena back to the system
//!   (`malloc_trim`), for long-running services after a burst.
//!
//! Audit notes are on each `unsafe` block: what the call reads or writes and why it is sound.

#![allow(unsafe_code)]

use std::os::fd::{AsRawFd, RawFd};

/// Terminal echo off for as long as this lives; the terminal's previous settings come back
/// on drop. Borrowing the terminal file ties the guard to the descriptor's life.
pub struct EchoOff<'a> {
    fd: RawFd,
    saved: libc::termios,
    _tty: std::marker::PhantomData<&'a std::fs::File>,
}

impl<'a> EchoOff<'a> {
    /// Turns echo (and the echo of newline) off on `tty`.
    pub fn on(tty: &'a std::fs::File) -> std::io::Result<EchoOff<'a>> {
        let fd = tty.as_raw_fd();
        let mut saved = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: `fd` is an open descriptor for the life of `tty` (borrowed for 'a);
        // tcgetattr fills `saved` completely when it returns 0, and only then is it read.
        let saved = unsafe {
            if libc::tcgetattr(fd, saved.as_mut_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            saved.assume_init()
        };
        let mut quiet = saved;
        quiet.c_lflag &= !(libc::ECHO | libc::ECHONL);
        // SAFETY: as above; `quiet` is a valid termios copied from the terminal's own.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(EchoOff {
            fd,
            saved,
            _tty: std::marker::PhantomData,
        })
    }
}

impl Drop for EchoOff<'_> {
    fn drop(&mut self) {
        // SAFETY: the borrow of the tty file outlives this guard, so `fd` is still open;
        // `saved` is the terminal's own earlier state, read by tcgetattr.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved);
        }
    }
}

/// Returns the free pages of every malloc arena to the system (glibc); a no-op elsewhere.
///
/// glibc keeps what a thread frees in that thread's arena for reuse, so after a burst a
/// service would sit on its peak heap for the rest of its life; `malloc_trim(0)` also
/// releases free pages in the middle of a heap.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_off_on_a_non_terminal_is_an_error_not_a_crash() {
        let f = tempfile::tempfile().unwrap();
        assert!(EchoOff::on(&f).is_err());
    }

    #[test]
    fn release_free_heap_can_be_called_from_any_thread() {
        let v: Vec<Vec<u8>> = (0..64).map(|_| vec![1u8; 64 * 1024]).collect();
        drop(v);
        std::thread::spawn(release_free_heap).join().unwrap();
        release_free_heap();
    }
}
