//! The rig of the binary-level tests: FakeThreatQ (frozen clock), the real aiosmtpd sink,
//! a config directory, and the release-under-test binary run against them.

#![allow(dead_code)] // each test file uses its own part of the rig

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use tq_testkit::rigs::smtp::{Captured, SinkOptions, SmtpSink};
use tq_testkit::threatq::FakeThreatQ;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_tq-email-alerts");
/// The recipients every config lists.
pub const RECIPIENTS: [&str; 2] = ["soc@example.org", "lead@example.org"];
/// The sender.
pub const FROM: &str = "alerts@tq.example";
/// The link host of the mails.
pub const LINK_HOST: &str = "threatq.example.net";

/// FakeThreatQ, an SMTP sink and a config directory.
pub struct Rig {
    /// The fake ThreatQ.
    pub tq: FakeThreatQ,
    /// The SMTP server.
    pub sink: SmtpSink,
    dir: tempfile::TempDir,
}

impl Rig {
    /// A fake ThreatQ frozen at 2026-03-01 10:00:00 and a sink started with `opts`.
    pub fn new(opts: SinkOptions) -> Rig {
        Rig::with(
            FakeThreatQ::builder()
                .freeze_at("2026-03-01 10:00:00")
                .start(),
            opts,
        )
    }

    /// A rig around a given fake.
    pub fn with(tq: FakeThreatQ, opts: SinkOptions) -> Rig {
        Rig {
            tq,
            sink: SmtpSink::start(opts),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// The config directory.
    pub fn etc(&self) -> &Path {
        self.dir.path()
    }

    /// The state file.
    pub fn state_file(&self) -> PathBuf {
        self.etc().join("tq-email-alerts.state.json")
    }

    /// Writes the config: `[threatq]` for the fake, `[connector]` with the sender, the
    /// recipients, the sink (plain, skip_login) and the link host, then `options`
    /// (a later key wins: it is written instead of the default).
    pub fn configure(&self, options: &[(&str, &str)]) {
        let recipients = RECIPIENTS.join(", ");
        let port = self.sink.port().to_string();
        let defaults = [
            ("email", FROM),
            ("recipients", recipients.as_str()),
            ("smtp_host", "127.0.0.1"),
            ("port", port.as_str()),
            ("skip_login", "true"),
            ("threatq_link_host", LINK_HOST),
        ];
        let mut ini = self.tq.threatq_section("Review");
        ini.push_str("[connector]\n");
        for (k, v) in defaults {
            if !options.iter().any(|(o, _)| *o == k) {
                ini.push_str(&format!("{k} = {v}\n"));
            }
        }
        for (k, v) in options {
            ini.push_str(&format!("{k} = {v}\n"));
        }
        let path = self.etc().join("tq-email-alerts.ini");
        std::fs::write(&path, ini).expect("write config");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod config");
    }

    /// The command of a run (`-c <dir> -v 3`), with the test's retry base.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("-c")
            .arg(self.etc())
            .args(["-v", "3"])
            .args(args)
            .env("TQ_RETRY_BASE_MS", "10")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy");
        c
    }

    /// Runs the binary to its end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tq-email-alerts")
    }

    /// Runs and expects exit 0; returns stdout + stderr.
    pub fn run_ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(0), "{t}");
        t
    }

    /// Every mail the sink stored so far (the binary waits for each 250, so after it
    /// exits every accepted mail is there).
    pub fn mails(&self) -> Vec<Captured> {
        self.sink.messages()
    }

    /// The mails stored since the first `before` ones.
    pub fn mails_since(&self, before: usize) -> Vec<Captured> {
        self.mails().into_iter().skip(before).collect()
    }

    /// Moves the fake's clock on (changes after a run get later timestamps).
    pub fn later(&self) {
        self.tq.advance(Duration::from_secs(60));
    }

    /// The state file's `data`.
    pub fn state(&self) -> Value {
        let raw = std::fs::read_to_string(self.state_file()).expect("state file");
        let v: Value = serde_json::from_str(&raw).expect("state JSON");
        v["data"].clone()
    }
}

/// stdout and stderr.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The details link of an object.
pub fn link(path: &str, id: u64) -> String {
    format!("https://{LINK_HOST}/{path}/{id}/details")
}

/// The subjects of `mails`, in order.
pub fn subjects(mails: &[Captured]) -> Vec<String> {
    mails.iter().map(|m| m.subject.clone()).collect()
}

/// The text part of a mail.
pub fn text_part(m: &Captured) -> &str {
    m.text.as_deref().expect("a text/plain part")
}

/// The HTML part of a mail.
pub fn html_part(m: &Captured) -> &str {
    m.html.as_deref().expect("a text/html part")
}

/// Asserts what every mail of the connector is: from `FROM` to every recipient,
/// multipart/alternative with both parts.
pub fn assert_envelope(m: &Captured) {
    assert_eq!(m.envelope_to, RECIPIENTS.to_vec(), "{}", m.subject);
    assert_eq!(m.return_path, FROM);
    assert_eq!(m.mime_type, "multipart/alternative");
    assert!(m.text.is_some() && m.html.is_some(), "both parts");
}
