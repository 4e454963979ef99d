//! Assertions on the files a run or an install leaves behind.

use std::path::Path;

/// Every one of `names` (paths relative to `dir`) is a regular file in `dir`; otherwise
/// panics listing all the missing ones and the directory.
pub fn assert_files_in(dir: &Path, names: &[&str]) {
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !dir.join(n).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "missing in {}: {}",
        dir.display(),
        missing.join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn present_files_pass_and_every_missing_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/a.conf"), "x").unwrap();
        assert_files_in(dir.path(), &["etc/a.conf"]);
        let e = std::panic::catch_unwind(|| {
            assert_files_in(dir.path(), &["etc/a.conf", "etc", "b.key", "c.crt"])
        })
        .unwrap_err();
        let msg = e.downcast_ref::<String>().unwrap();
        assert!(msg.ends_with(": etc, b.key, c.crt"), "{msg}");
        assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
    }
}
