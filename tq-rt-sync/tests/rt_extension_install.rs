//! Installing RT::Extension::ThreatQ the way the guide says (`perl Makefile.PL && make &&
//! make install && make initdb`, plain ExtUtils::MakeMaker), into a fresh RT, which then
//! loads the installed copy and runs the installed scrip.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tq_common::http::{Http, HttpSettings};
use tq_common::Secret;
use tq_rt_sync::rt::customfields::is_multiple;
use tq_rt_sync::rt::{NewTicket, RtClient};
use tq_testkit::files::assert_files_in;
use tq_testkit::rigs::rt::{extension_dir, generated_path, Rt, RtOptions, QUEUE_INCIDENTS, ROOT};
use tq_testkit::rigs::TempDir;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let name = e.file_name();
        let (src, dst) = (e.path(), to.join(&name));
        if e.file_type().expect("file type").is_dir() {
            if name != "blib" {
                copy_tree(&src, &dst);
            }
        } else if !matches!(
            name.to_str(),
            Some("Makefile" | "pm_to_blib" | "MYMETA.json" | "MYMETA.yml")
        ) {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

fn run(dir: &Path, env: &[(String, PathBuf)], args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_os_str())))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{args:?} failed ({}):\n{text}",
        out.status
    );
    text
}

#[test]
fn makefile_install_and_initdb_give_a_working_extension() {
    let work = TempDir::new("tq-rt-ext-install");
    let src = work.path().join("RT-Extension-ThreatQ-2.0.0");
    copy_tree(&extension_dir(), &src);
    let dest = work.path().join("dest");

    let out = run(&src, &[], &["perl", "Makefile.PL"]);
    assert!(out.contains("the extension installs into"), "{out}");
    run(&src, &[], &["make"]);
    let out = run(
        &src,
        &[],
        &["make", "install", &format!("DESTDIR={}", dest.display())],
    );
    assert!(out.contains("Now: make initdb"), "{out}");

    let local_plugins = generated_path("LocalPluginPath").expect("RT's LocalPluginPath");
    let plugin_root = dest.join(local_plugins.strip_prefix("/").expect("absolute"));
    let installed = plugin_root.join("RT-Extension-ThreatQ");
    assert_files_in(
        &installed,
        &[
            "lib/RT/Extension/ThreatQ.pm",
            "lib/RT/Action/SyncThreatQEvent.pm",
            "etc/initialdata",
            "html/Callbacks/RT-Extension-ThreatQ/Elements/Tabs/Privileged",
            "html/Ticket/ThreatQSync.html",
            "html/Admin/Tools/ThreatQ.html",
        ],
    );
    assert!(
        !dest.join("none").exists() && !src.join("none").exists(),
        "man pages went to ./none"
    );

    let mut rt = Rt::prepare(RtOptions {
        extension_initdata: false,
        plugin_root: Some(plugin_root.clone()),
        site_config: "Set($ThreatQ_Sync_Binary, \"$RT::VarPath/standin.sh\");\nSet($RT_Queues_For_ThreatQ, 'Incidents');\nSet($RT_User_For_ThreatQ, 'threatq');\n".into(),
        ..RtOptions::default()
    });
    let standin = rt.dir().join("var").join("standin.sh");
    std::fs::write(&standin, "#!/bin/sh\ncat >/dev/null\necho \"$@\" >> \"$(dirname \"$0\")/argv.log\"\necho installed stand-in ran\n").expect("stand-in");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&standin, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    // SQLite needs no DBA password, so initdb asks for none (stdin is /dev/null here).
    let out = run(&src, &rt.tool_env(), &["make", "initdb"]);
    assert!(out.contains("Done inserting data"), "{out}");

    rt.launch();
    let root = RtClient::new(
        Http::new(HttpSettings::default()).expect("http"),
        &rt.url(),
        ROOT.name,
        Secret::new(ROOT.password),
    )
    .expect("client");
    let defs = root
        .queue_custom_fields(QUEUE_INCIDENTS)
        .expect("queue fields");
    assert_eq!(is_multiple(&defs, "ThreatQ Link"), Some(false));
    assert_eq!(is_multiple(&defs, "ThreatQ Attributes"), Some(true));
    assert_eq!(is_multiple(&defs, "ThreatQ Indicators"), Some(true));

    let id = root
        .create_ticket(&NewTicket::new(QUEUE_INCIDENTS, "installed"))
        .expect("create");
    let argv_log = rt.dir().join("var").join("argv.log");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::read_to_string(&argv_log)
        .unwrap_or_default()
        .contains(&format!("action --ticket {id} "))
    {
        assert!(
            Instant::now() < deadline,
            "the installed scrip did not run; log:\n{}",
            rt.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The installed copy ran, not the working tree's.
    let log = rt.log();
    let action = installed.join("lib/RT/Action/SyncThreatQEvent.pm");
    assert!(
        log.contains("ThreatQ: Executing - ") && log.contains(&action.display().to_string()),
        "{log}"
    );

    let db = rt.dir().join("var").join("rt.db");
    let names = run(
        work.path(),
        &[],
        &[
            "perl",
            "-MDBI",
            "-e",
            "my $d = DBI->connect(\"dbi:SQLite:dbname=$ARGV[0]\", '', '', { RaiseError => 1 });
             print join(\"\\n\", map { @$_ } @{ $d->selectall_arrayref(q{SELECT Description FROM Scrips UNION ALL SELECT Name FROM ScripActions UNION ALL SELECT Name FROM CustomFields}) }), \"\\n\";",
            &db.display().to_string(),
        ],
    );
    for n in [
        "Automatically Sync Ticket with ThreatQ",
        "Sync ticket with ThreatQ",
        "ThreatQ Link",
        "ThreatQ Attributes",
        "ThreatQ Indicators",
    ] {
        assert_eq!(
            names.lines().filter(|l| *l == n).count(),
            1,
            "{n} in:\n{names}"
        );
    }
}

/// `make dist` makes the tarball packaging ships (RT-Extension-ThreatQ-<version>.tar.gz), and
/// its MANIFEST lists every file of the extension: none is left out of the tarball.
#[test]
fn make_dist_packs_every_file() {
    let work = TempDir::new("tq-rt-ext-dist");
    let src = work.path().join("src");
    copy_tree(&extension_dir(), &src);
    run(&src, &[], &["perl", "Makefile.PL"]);
    let out = run(&src, &[], &["make", "dist"]);
    let tarball = std::fs::read_dir(&src)
        .expect("read dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .unwrap_or_else(|| panic!("no tarball:\n{out}"));
    let name = tarball.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("RT-Extension-ThreatQ-") && name.ends_with(".tar.gz"),
        "{name}"
    );
    let listing = run(&src, &[], &["tar", "tzf", &tarball.to_string_lossy()]);
    let manifest = std::fs::read_to_string(extension_dir().join("MANIFEST")).expect("MANIFEST");
    let mut files = Vec::new();
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).expect("read dir").flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                if rel != "blib" {
                    walk(root, &p, out);
                }
            } else if !rel.starts_with('.')
                && !matches!(
                    rel.as_str(),
                    "Makefile" | "pm_to_blib" | "MYMETA.json" | "MYMETA.yml"
                )
            {
                out.push(rel);
            }
        }
    }
    walk(&extension_dir(), &extension_dir(), &mut files);
    for f in &files {
        assert!(
            manifest.lines().any(|l| l.trim() == f),
            "{f} is not in the extension's MANIFEST"
        );
        assert!(
            listing.lines().any(|l| l.ends_with(&format!("/{f}"))),
            "{f} is not in {name}:\n{listing}"
        );
    }
}
