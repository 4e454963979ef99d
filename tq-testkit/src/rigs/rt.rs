//! A real Request Tracker for tests (research/rt.md): Debian's `request-tracker5` with SQLite,
//! `rt-server` (Plack/Starlet) on a random loopback port, the tq-rt-sync Perl extension loaded
//! from the working tree through `$LocalPluginPath`, and a fixture: the queues
//! [`QUEUE_INCIDENTS`] and [`QUEUE_REPORTS`] (synced) and `General` (not synced), the fifteen
//! custom fields the sync maps, and the users [`ROOT`] (super user), [`ALICE`] (a normal
//! privileged user), [`AUDITOR`] (may open the Admin menu, not a super user) and
//! [`SYNC_USER`] (`RT_User_For_ThreatQ`).
//!
//! Each instance has its own temp dir (site config, SQLite database, Mason cache, sessions,
//! log), is isolated from `/etc/request-tracker5` (`RT_SITE_CONFIG_DIR`), and is stopped on
//! drop. The database is copied from a template made once per RT version, fixture and
//! extension `etc/initialdata` (`rt-setup-database` costs about 4 s; the copy costs
//! nothing), kept under the system temp dir. Start one RT per test binary and give every
//! test its own tickets.
//!
//! `scripts/rigs/install` (through `scripts/rigs/rt.sh`) installs RT; a missing RT fails the
//! test with the hint to run it.

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, missing, repo_root, TempDir};

/// The server script of Debian's request-tracker5 (not in a `bin` directory).
pub const RT_SERVER: &str = "/usr/share/request-tracker5/libexec/rt-server";

/// RT's library directory (for `perl -I` and the version).
pub const RT_LIB: &str = "/usr/share/request-tracker5/lib";

/// The `rtname` of every test instance (it shows in link URIs: `fsck.com-rt://rt.test/...`).
pub const RTNAME: &str = "rt.test";

/// A user of the fixture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtUser {
    /// Login name.
    pub name: &'static str,
    /// Password.
    pub password: &'static str,
}

/// RT's super user (the Debian package's initial root password).
pub const ROOT: RtUser = RtUser {
    name: "root",
    password: "password",
};

/// A privileged user with the ticket rights of every queue, no admin rights.
pub const ALICE: RtUser = RtUser {
    name: "alice",
    password: "alice-pw-4821",
};

/// A privileged user who may open the Admin menu (`ShowConfigTab`) but is no super user.
pub const AUDITOR: RtUser = RtUser {
    name: "auditor",
    password: "auditor-pw-5510",
};

/// The user tq-rt-sync works as (`RT_User_For_ThreatQ`); ticket rights of every queue.
pub const SYNC_USER: RtUser = RtUser {
    name: "threatq",
    password: "tq-rt-pw-7731",
};

/// A synced queue.
pub const QUEUE_INCIDENTS: &str = "Incidents";
/// A synced queue whose name holds a space.
pub const QUEUE_REPORTS: &str = "Incident Reports";
/// RT's default queue; not in `RT_Queues_For_ThreatQ` of the tests.
pub const QUEUE_GENERAL: &str = "General";

/// The mapped custom fields that hold several values (the guide's "Supported Custom Fields").
pub const MULTI_VALUE_CFS: &[&str] = &[
    "IP",
    "FileNames",
    "HASH",
    "Domains",
    "Sender",
    "URL",
    "Threat Actors",
    "Tags",
    "Systems Re-Imaged",
    "Threat TTP",
];

/// The mapped custom fields that hold one value.
pub const SINGLE_VALUE_CFS: &[&str] = &[
    "Threat Campaign",
    "External Ticket Number",
    "Description",
    "Resolution",
    "Classification",
];

/// The fixture: queues, users, rights and the operator's custom fields, applied to the three
/// queues (the extension's own three fields are global).
fn fixture() -> String {
    let q = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("'{}'", n.replace('\'', "\\'")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut f = String::new();
    let _ = writeln!(f, "# tq-testkit RT fixture (rigs/rt.rs)");
    let _ = writeln!(
        f,
        "our @Queues = (\n  {{ Name => '{QUEUE_INCIDENTS}', Description => 'synced with ThreatQ' }},\n  {{ Name => '{QUEUE_REPORTS}', Description => 'synced with ThreatQ; a name with a space' }},\n);"
    );
    let _ = writeln!(f, "our @Users = (");
    for (u, real) in [
        (ALICE, "Alice Analyst"),
        (AUDITOR, "Audrey Auditor"),
        (SYNC_USER, "ThreatQ Sync"),
    ] {
        let _ = writeln!(
            f,
            "  {{ Name => '{}', Password => '{}', EmailAddress => '{}@rt.test', RealName => '{real}', Privileged => 1 }},",
            u.name, u.password, u.name
        );
    }
    let _ = writeln!(f, ");");
    let _ = writeln!(
        f,
        "my @queues = ('{QUEUE_GENERAL}', '{QUEUE_INCIDENTS}', '{QUEUE_REPORTS}');"
    );
    let _ = writeln!(f, "our @CustomFields = (");
    let _ = writeln!(
        f,
        "  (map {{ {{ Name => $_, Type => 'FreeformMultiple', LookupType => 'RT::Queue-RT::Ticket', ApplyTo => [@queues], Description => \"$_ (mapped by the ThreatQ sync)\" }} }} ({})),",
        q(MULTI_VALUE_CFS)
    );
    let _ = writeln!(
        f,
        "  (map {{ {{ Name => $_, Type => 'FreeformSingle', LookupType => 'RT::Queue-RT::Ticket', ApplyTo => [@queues], Description => \"$_ (mapped by the ThreatQ sync)\" }} }} ({})),",
        q(SINGLE_VALUE_CFS)
    );
    let _ = writeln!(f, ");");
    let _ = writeln!(
        f,
        "our @ACL = (\n  (map {{ {{ GroupDomain => 'SystemInternal', GroupType => 'Privileged', Right => $_ }} }}\n    qw(SeeQueue ShowTicket CreateTicket ModifyTicket CommentOnTicket ReplyToTicket ShowTicketComments\n       SeeCustomField ModifyCustomField SetInitialCustomField OwnTicket)),\n  {{ UserId => '{}', Right => 'ShowConfigTab' }},\n);",
        AUDITOR.name
    );
    let _ = writeln!(f, "1;");
    f
}

/// How to start an instance.
#[derive(Debug, Clone)]
pub struct RtOptions {
    /// Load `RT::Extension::ThreatQ` (from `plugin_root`, or the working tree).
    pub load_extension: bool,
    /// Insert the extension's `etc/initialdata` into the database (what `make initdb` does).
    pub extension_initdata: bool,
    /// `$RT::LocalPluginPath`; `None`: a dir in the instance with a symlink
    /// `RT-Extension-ThreatQ` to `tq-rt-sync/rt-extension` of the working tree.
    pub plugin_root: Option<PathBuf>,
    /// Perl lines appended to `RT_SiteConfig.pm` (the extension's `Set(...)` settings).
    pub site_config: String,
    /// Starlet worker processes (at least 2 when a page waits for a program that calls the
    /// REST API back).
    pub workers: u32,
}

impl Default for RtOptions {
    fn default() -> Self {
        RtOptions {
            load_extension: true,
            extension_initdata: true,
            plugin_root: None,
            site_config: String::new(),
            workers: 3,
        }
    }
}

/// A running RT (stopped on drop).
///
/// The server runs under a small shell that holds a pipe from this process (the lifeline):
/// when the pipe closes, because the `Rt` is dropped or because the test process ends
/// without dropping it (an `Rt` in a `static`), the shell stops the server (TERM, then KILL
/// after 10 s) and removes the instance dir. So one RT can serve every test of a binary.
pub struct Rt {
    dir: TempDir,
    port: u16,
    child: Option<Child>,
    lifeline: Option<ChildStdin>,
    started_in: Duration,
    workers: u32,
}

/// Runs `"$@"` (rt-server) and stops it when stdin (the lifeline) closes, then removes
/// `$TQ_RT_DIR`; ends when the server ends, with every process of its group. A server that
/// ends by itself leaves the dir (and its log) in place.
const LIFELINE: &str = r#"
exec 3<&0
"$@" </dev/null 3<&- &
srv=$!
( cat <&3 >/dev/null; : >"$TQ_RT_DIR/.stopping"; kill -TERM "$srv" 2>/dev/null; sleep 10; kill -KILL 0 ) </dev/null &
exec 3<&-
wait "$srv"
[ -e "$TQ_RT_DIR/.stopping" ] && rm -rf "$TQ_RT_DIR"
kill -KILL 0
"#;

/// The working tree's extension directory (`tq-rt-sync/rt-extension`).
pub fn extension_dir() -> PathBuf {
    repo_root().join("tq-rt-sync").join("rt-extension")
}

/// RT 5's `rt-setup-database` (Debian names it `-5`; the unversioned name is an alternatives
/// link that may point at another RT's).
pub fn rt_setup_database() -> PathBuf {
    [
        "/usr/sbin/rt-setup-database-5",
        "/usr/sbin/rt-setup-database",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .unwrap_or_else(|| missing("request-tracker5 (rt-setup-database)"))
}

/// True when request-tracker5 is installed.
pub fn installed() -> bool {
    Path::new(RT_SERVER).exists()
}

/// A path RT was built with (`LocalPluginPath`, `SbinPath`, ...), from `RT/Generated.pm`.
pub fn generated_path(name: &str) -> Option<PathBuf> {
    let g = std::fs::read_to_string(Path::new(RT_LIB).join("RT/Generated.pm")).ok()?;
    let prefix = format!("${name}");
    g.lines().find_map(|l| {
        let rest = l.trim().strip_prefix(&prefix)?.trim_start();
        let rest = rest.strip_prefix('=')?.trim_start().strip_prefix('\'')?;
        Some(PathBuf::from(rest.split('\'').next()?))
    })
}

/// RT's version string (`5.0.3+dfsg-3~deb12u7`), from `RT/Generated.pm`.
pub fn rt_version() -> String {
    let g = std::fs::read_to_string(Path::new(RT_LIB).join("RT/Generated.pm"))
        .unwrap_or_else(|_| missing("request-tracker5"));
    g.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("our $VERSION = '")
                .and_then(|r| r.split('\'').next())
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// Changes whenever what the template builder writes changes (besides the fixture and the
/// extension's initialdata, which are hashed themselves): version 2 hashes passwords with
/// bcrypt cost 4.
const TEMPLATE_FORMAT: &str = "2";

/// A hash that is the same in every build (names the template database).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    parts
        .iter()
        .fold(tq_common::dedup::Fingerprint::new(), |f, p| f.field(p))
        .finish()
}

/// The site config shared by the template builder and the instances.
fn base_site_config(dir: &Path, port: u16, plugin_root: &Path) -> String {
    let p = |x: &Path| x.display().to_string().replace('\'', "\\'");
    let mut c = String::new();
    let _ = writeln!(c, "# tq-testkit RT instance (rigs/rt.rs)");
    let _ = writeln!(c, "Set($rtname, '{RTNAME}');");
    let _ = writeln!(c, "Set($Organization, '{RTNAME}');");
    let _ = writeln!(c, "Set($CorrespondAddress, 'rt@{RTNAME}');");
    let _ = writeln!(c, "Set($CommentAddress, 'rt-comment@{RTNAME}');");
    let _ = writeln!(c, "Set($WebDomain, '127.0.0.1');");
    let _ = writeln!(c, "Set($WebPort, {port});");
    let _ = writeln!(c, "Set($WebPath, '');");
    let _ = writeln!(c, "Set($WebBaseURL, 'http://127.0.0.1:{port}');");
    let _ = writeln!(c, "Set($DatabaseType, 'SQLite');");
    let _ = writeln!(
        c,
        "Set($DatabaseName, '{}');",
        p(&dir.join("var").join("rt.db"))
    );
    // Outgoing mail is recorded in $VarPath/*.mbox: no MTA, no SystemError transactions.
    let _ = writeln!(c, "Set($MailCommand, 'mbox');");
    let _ = writeln!(c, "Set($LogToSTDERR, 'debug');");
    let _ = writeln!(c, "Set($LogToSyslog, undef);");
    let _ = writeln!(c, "Set($LogToFile, undef);");
    let _ = writeln!(c, "Set($Timezone, 'UTC');");
    // RT's default bcrypt cost (12) makes every password login cost about a second on a
    // loaded 2-core machine, and the sync logs in once per run; the fixture's passwords
    // are hashed (and checked) with the lowest cost instead. Nothing else changes.
    let _ = writeln!(c, "Set($BcryptCost, 4);");
    let _ = writeln!(c, "$RT::VarPath = '{}';", p(&dir.join("var")));
    let _ = writeln!(c, "$RT::MasonDataDir = '{}';", p(&dir.join("mason")));
    let _ = writeln!(c, "$RT::MasonSessionDir = '{}';", p(&dir.join("sessions")));
    let _ = writeln!(c, "$RT::LocalPluginPath = '{}';", p(plugin_root));
    c
}

fn run_setup(dir: &Path, args: &[&str]) {
    let out = Command::new(rt_setup_database())
        .args(args)
        .env("RT_SITE_CONFIG", dir.join("RT_SiteConfig.pm"))
        .env("RT_SITE_CONFIG_DIR", dir.join("confd"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run rt-setup-database");
    assert!(
        out.status.success(),
        "rt-setup-database {args:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes (once) and returns the template database for these options.
fn template_db(opts: &RtOptions) -> PathBuf {
    if !installed() {
        missing("request-tracker5 (Debian package, with rt5-db-sqlite and rt5-standalone)");
    }
    let fixture = fixture();
    let initdata = if opts.extension_initdata {
        std::fs::read(extension_dir().join("etc").join("initialdata"))
            .expect("read tq-rt-sync/rt-extension/etc/initialdata")
    } else {
        Vec::new()
    };
    let key = fnv1a(&[
        TEMPLATE_FORMAT.as_bytes(),
        rt_version().as_bytes(),
        fixture.as_bytes(),
        &initdata,
        &[u8::from(opts.extension_initdata)],
    ]);
    let final_dir = std::env::temp_dir().join(format!("tq-rt-template-{key:016x}"));
    let db = final_dir.join("rt.db");
    if db.exists() {
        return db;
    }
    let work = TempDir::new("tq-rt-template-build");
    let d = work.path();
    for sub in ["var", "mason", "sessions", "plugins", "confd"] {
        std::fs::create_dir_all(d.join(sub)).expect("create template dirs");
    }
    std::fs::write(
        d.join("RT_SiteConfig.pm"),
        base_site_config(d, 80, &d.join("plugins")) + "1;\n",
    )
    .expect("write template site config");
    run_setup(d, &["--action", "init", "--skip-create"]);
    let insert = |name: &str, data: &[u8]| {
        let f = d.join(name);
        std::fs::write(&f, data).expect("write initialdata");
        let f = f.display().to_string();
        run_setup(
            d,
            &["--action", "insert", "--skip-create", "--datafile", &f],
        );
    };
    if opts.extension_initdata {
        insert("extension-initialdata", &initdata);
    }
    insert("fixture.pl", fixture.as_bytes());
    // Publish atomically: another test binary may be making the same template.
    let staged = std::env::temp_dir().join(format!(
        "tq-rt-template-{key:016x}.{}.tmp",
        std::process::id()
    ));
    std::fs::create_dir_all(&staged).expect("create staged template dir");
    std::fs::copy(d.join("var").join("rt.db"), staged.join("rt.db")).expect("copy template db");
    if std::fs::rename(&staged, &final_dir).is_err() {
        let _ = std::fs::remove_dir_all(&staged);
    }
    assert!(db.exists(), "template database {} missing", db.display());
    db
}

impl Rt {
    /// Starts an instance and waits until its REST API answers (panics with the server log
    /// after 90 s).
    pub fn start(opts: RtOptions) -> Rt {
        let t0 = Instant::now();
        let mut rt = Rt::prepare(opts);
        rt.launch();
        rt.started_in = t0.elapsed();
        rt
    }

    /// Makes an instance (dir, database, site config) without starting it, so that RT's
    /// tools can work on it first ([`Rt::tool_env`]); [`Rt::launch`] starts it.
    pub fn prepare(opts: RtOptions) -> Rt {
        let template = template_db(&opts);
        let dir = TempDir::new("tq-rt");
        let d = dir.path().to_path_buf();
        for sub in ["var", "mason", "sessions", "plugins", "confd"] {
            std::fs::create_dir_all(d.join(sub)).expect("create RT dirs");
        }
        std::fs::copy(&template, d.join("var").join("rt.db")).expect("copy template database");
        let plugin_root = match &opts.plugin_root {
            Some(p) => p.clone(),
            None => {
                let root = d.join("plugins");
                std::os::unix::fs::symlink(extension_dir(), root.join("RT-Extension-ThreatQ"))
                    .expect("link the extension into the plugin dir");
                root
            }
        };
        let port = free_port();
        let mut config = base_site_config(&d, port, &plugin_root);
        if opts.load_extension {
            let _ = writeln!(config, "Plugin('RT::Extension::ThreatQ');");
        }
        config.push_str(&opts.site_config);
        config.push_str("\n1;\n");
        std::fs::write(d.join("RT_SiteConfig.pm"), config).expect("write RT_SiteConfig.pm");
        Rt {
            dir,
            port,
            child: None,
            lifeline: None,
            started_in: Duration::ZERO,
            workers: opts.workers.max(1),
        }
    }

    /// Starts a prepared instance and waits until its REST API answers.
    pub fn launch(&mut self) {
        assert!(self.child.is_none(), "RT already running");
        let t0 = Instant::now();
        let d = self.dir.path().to_path_buf();
        let port = self.port;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("server.log"))
            .expect("open server.log");
        let log2 = log.try_clone().expect("clone log handle");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(LIFELINE)
            .arg("tq-rt-lifeline")
            .arg(RT_SERVER)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--max-workers", &self.workers.to_string()])
            .env("RT_SITE_CONFIG", d.join("RT_SiteConfig.pm"))
            .env("RT_SITE_CONFIG_DIR", d.join("confd"))
            .env("TQ_RT_DIR", &d)
            .current_dir(&d)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .expect("spawn rt-server");
        self.lifeline = child.stdin.take();
        self.child = Some(child);
        self.wait_ready();
        self.started_in = t0.elapsed();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    panic!("rt-server exited at start ({status}); log:\n{}", self.log());
                }
            }
            if let Some(body) = http_get(self.port, "/REST/1.0/") {
                if body.contains("RT/") {
                    return;
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "RT not answering on {} after 90 s; log:\n{}",
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `http://127.0.0.1:<port>` (RT's `$WebBaseURL`; `$WebPath` is empty).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>/REST/1.0/`
    pub fn rest_url(&self) -> String {
        format!("{}/REST/1.0/", self.url())
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The instance's dir (`RT_SiteConfig.pm`, `var/rt.db`, `server.log`, ...).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The environment that points RT's command-line tools (`rt-setup-database`, `make
    /// initdb`) at this instance.
    pub fn tool_env(&self) -> Vec<(String, PathBuf)> {
        vec![
            (
                "RT_SITE_CONFIG".into(),
                self.dir.path().join("RT_SiteConfig.pm"),
            ),
            ("RT_SITE_CONFIG_DIR".into(), self.dir.path().join("confd")),
        ]
    }

    /// How long [`Rt::start`] took (template copy, server start, first answer), or
    /// [`Rt::launch`] (server start, first answer).
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// Everything the server and its scrips logged so far (RT logs at debug to stderr).
    pub fn log(&self) -> String {
        String::from_utf8_lossy(
            &std::fs::read(self.dir.path().join("server.log")).unwrap_or_default(),
        )
        .into_owned()
    }

    /// The server's processes (the Starlet parent and its workers, and the lifeline shell).
    pub fn pids(&self) -> Vec<u32> {
        let Some(pgid) = self.child.as_ref().map(Child::id) else {
            return Vec::new();
        };
        let mut pids = Vec::new();
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map(|(_, r)| r.split_whitespace().collect())
                .unwrap_or_default();
            // fields after ")": state ppid pgrp ...
            if fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid) {
                pids.push(pid);
            }
        }
        pids
    }

    /// The memory of the server's processes: the sum of their proportional set sizes (kB).
    pub fn pss_kb(&self) -> u64 {
        self.pids()
            .iter()
            .map(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
                    .unwrap_or_default()
                    .lines()
                    .find(|l| l.starts_with("Pss:"))
                    .and_then(|l| {
                        l.split_whitespace()
                            .nth(1)
                            .and_then(|v| v.parse::<u64>().ok())
                    })
                    .unwrap_or(0)
            })
            .sum()
    }

    /// Stops the server: closes the lifeline (the shell sends TERM, and KILL after 10 s) and
    /// waits for it.
    pub fn stop(&mut self) {
        drop(self.lifeline.take());
        let Some(mut child) = self.child.take() else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = child.wait();
    }
}

impl Drop for Rt {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A plain HTTP/1.0 GET on 127.0.0.1 (readiness probe); the body, or `None`.
fn http_get(port: u16, path: &str) -> Option<String> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_key_is_stable_and_separates_parts() {
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325, "FNV-1a 64 offset basis");
        assert_eq!(fnv1a(&[b"a"]), fnv1a(&[b"a"]));
        assert_ne!(fnv1a(&[b"a", b"b"]), fnv1a(&[b"ab"]));
    }

    #[test]
    fn fixture_names_every_mapped_field_and_user() {
        let f = fixture();
        for cf in MULTI_VALUE_CFS.iter().chain(SINGLE_VALUE_CFS) {
            assert!(f.contains(&format!("'{cf}'")), "{cf} missing");
        }
        for u in [ALICE, AUDITOR, SYNC_USER] {
            assert!(f.contains(&format!("Name => '{}'", u.name)));
        }
        assert!(f.contains("'Incident Reports'"));
    }
}
