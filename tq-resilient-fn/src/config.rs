//! The operator's resilient-circuits `app.config`: where it is, the `[resilient]` keys we
//! read (declared and validated; other keys there belong to resilient-circuits and other
//! apps and are ignored), and the `[fn_threatq]` section, which is ours (an unknown key
//! there is an error, so a typo is caught).
//!
//! Found as resilient-circuits finds it (research/resilient.md §1): `--app-config FILE`,
//! else `$APP_CONFIG_FILE`, else `./app.config`, else `~/.resilient/app.config`. The lock
//! file is `$APP_LOCK_FILE`, else `<app.config>.lock`; the state (processed message ids)
//! is kept beside the lock file, named after it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tq_common::app::{InstanceFiles, Invocation, Layout};
use tq_common::cli::BaseArgs;
use tq_common::config::{
    render_options, Config, IniFile, IntOpt, ListOpt, Maybe, Opt, SecretOpt, StrOpt, ThreatQKeys,
    ThreatQNames,
};
use tq_common::Result;

/// The binary name (and the instance name: the log file is `tq-resilient-fn.log`).
pub const BINARY: &str = "tq-resilient-fn";

/// The environment variable naming the app.config (resilient-circuits').
pub const APP_CONFIG_ENV: &str = "APP_CONFIG_FILE";

/// The environment variable naming the lock file (resilient-circuits', the guide's step 12).
pub const APP_LOCK_ENV: &str = "APP_LOCK_FILE";

tq_common::options! {
    section "resilient";
    /// The `[resilient]` keys we read (research/resilient.md §1); resilient-circuits reads
    /// more, which are left to it.
    pub list RESILIENT_OPTIONS;
    /// Your Resilient host name or IP address (REST API, and STOMP unless stomp_host is set).
    pub RESILIENT_HOST: StrOpt = StrOpt::new("host", "Host");
    /// The port of the Resilient REST API.
    pub RESILIENT_PORT: IntOpt = IntOpt::new("port", "Port").range(1, 65535).default("443");
    /// The organization name (case-sensitive, as the UI shows it); needed when the user
    /// belongs to several.
    pub ORG: Maybe<StrOpt> = StrOpt::new("org", "Org").optional();
    /// The e-mail address to log in to Resilient with (with password; or use api_key_id and
    /// api_key_secret).
    pub EMAIL: Maybe<StrOpt> = StrOpt::new("email", "Email").optional();
    /// The password of that Resilient user.
    pub PASSWORD: Maybe<SecretOpt> = SecretOpt::new("password", "Password").optional();
    /// A Resilient API key id; with api_key_secret it is used instead of email and password.
    pub API_KEY_ID: Maybe<StrOpt> = StrOpt::new("api_key_id", "API key ID").optional();
    /// The secret of that API key.
    pub API_KEY_SECRET: Maybe<SecretOpt> =
        SecretOpt::new("api_key_secret", "API key secret").optional();
    /// A PEM file to verify the Resilient server certificate with (besides the system store),
    /// or false to turn verification off (insecure; a warning on every start).
    pub CAFILE: Maybe<StrOpt> = StrOpt::new("cafile", "CA file").optional();
    /// The STOMP host; empty = host.
    pub STOMP_HOST: Maybe<StrOpt> = StrOpt::new("stomp_host", "STOMP host").optional();
    /// The STOMP port (TLS).
    pub STOMP_PORT: IntOpt = IntOpt::new("stomp_port", "STOMP port").range(1, 65535).default("65001");
    /// A PEM file to verify the STOMP server certificate with, or false; empty = cafile.
    pub STOMP_CAFILE: Maybe<StrOpt> = StrOpt::new("stomp_cafile", "STOMP CA file").optional();
    /// Seconds to wait for the STOMP connection and subscription.
    pub STOMP_TIMEOUT: IntOpt =
        IntOpt::new("stomp_timeout", "STOMP timeout").range(1, 3600).default("60");
    /// Retries of a failed acknowledgement or reply.
    pub STOMP_MAX_RETRIES: IntOpt =
        IntOpt::new("stomp_max_retries", "STOMP max retries").range(0, 100).default("3");
    /// Messages the broker sends ahead (activemq.prefetchSize); empty = 4 × num_workers (a
    /// message keeps its slot until its final reply and ACK, so the window is wider than
    /// resilient-circuits' num_workers).
    pub STOMP_PREFETCH_LIMIT: Maybe<IntOpt> =
        IntOpt::new("stomp_prefetch_limit", "STOMP prefetch limit").range(1, 10_000).optional();
    /// Actions handled at the same time.
    pub NUM_WORKERS: IntOpt = IntOpt::new("num_workers", "Workers").range(1, 1000).default("25");
}

tq_common::options! {
    section "fn_threatq";
    /// The `[fn_threatq]` options besides the ThreatQ connection ([`THREATQ`]).
    pub list FN_THREATQ_OPTIONS;
    /// The source name of everything synced to ThreatQ.
    pub CUSTOM_SOURCE: StrOpt = StrOpt::new("custom_source", "Custom Source").default("Resilient");
    /// Custom incident fields mapped to ThreatQ attributes: field_name=attribute_name,
    /// comma-separated (e.g. internal_severity=Severity, internal_confidence=Confidence). The
    /// field name is the field's programmatic name.
    pub CUSTOM_ATTRIBUTES: ListOpt = ListOpt::new("custom_attributes", "Custom Attributes");
    /// Custom incident fields mapped to ThreatQ objects: field_name=object_collection,
    /// comma-separated (e.g. threat_actor=adversaries); each value becomes an object related
    /// to the event.
    pub CUSTOM_OBJECTS: ListOpt = ListOpt::new("custom_objects", "Custom Objects");
    /// The programmatic name of the message destination the rules and functions send to
    /// (`customize` installs it; the service subscribes to actions.<org id>.<destination>).
    pub DESTINATION: StrOpt = StrOpt::new("destination", "Message destination").default("fn_threatq");
}

/// The ThreatQ connection in `[fn_threatq]`: the guide's `host`, `username`, `password`,
/// `cid`, and ours: `status` (default Review: the guide's app.config has none), `ca_file`,
/// `verify_tls`.
pub const THREATQ: ThreatQKeys = ThreatQKeys::named(
    "fn_threatq",
    ThreatQNames {
        client_id: "cid",
        ..ThreatQNames::STANDARD
    },
)
.status_default("Review");

/// The `[fn_threatq]` section, in the order `tq-resilient-fn config` prints it.
pub fn fn_threatq_options() -> Vec<Opt> {
    [&THREATQ.options(), FN_THREATQ_OPTIONS].concat()
}

/// Every declared option: `[resilient]`, then `[fn_threatq]`.
pub fn options() -> Vec<Opt> {
    [RESILIENT_OPTIONS, &fn_threatq_options()].concat()
}

/// What app.config holds for this binary.
pub fn layout() -> Layout {
    Layout {
        options: options(),
        threatq: THREATQ,
        enabled: None,
    }
}

/// The commented `[fn_threatq]` section `tq-resilient-fn config` prints, to append to
/// app.config (as `resilient-circuits config -u` adds an app's section).
pub fn template() -> String {
    format!(
        "# [fn_threatq]: the ThreatQ settings of {BINARY} (the fn_threatq app). Append this\n\
         # to your app.config (`{BINARY} config >> ~/.resilient/app.config`), then fill in\n\
         # host, username, password and cid.\n{}",
        render_options(&fn_threatq_options(), &HashMap::new())
    )
}

/// The app.config to read: `flag`, else `$APP_CONFIG_FILE`, else `./app.config` if it
/// exists, else `~/.resilient/app.config`.
pub fn locate(flag: Option<&Path>, env: &HashMap<String, String>, cwd: &Path) -> PathBuf {
    if let Some(f) = flag {
        return f.to_path_buf();
    }
    if let Some(f) = env.get(APP_CONFIG_ENV).filter(|f| !f.is_empty()) {
        return PathBuf::from(f);
    }
    let here = cwd.join("app.config");
    if here.is_file() {
        return here;
    }
    let home = env
        .get("HOME")
        .map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    home.join(".resilient").join("app.config")
}

/// The lock file: `$APP_LOCK_FILE`, else `<app.config>.lock`.
pub fn lock_file(app_config: &Path, env: &HashMap<String, String>) -> PathBuf {
    match env.get(APP_LOCK_ENV).filter(|f| !f.is_empty()) {
        Some(f) => PathBuf::from(f),
        None => {
            let mut name = app_config.as_os_str().to_owned();
            name.push(".lock");
            PathBuf::from(name)
        }
    }
}

/// The run of the `run` command (and `--check`): app.config as located, its layout, the
/// lock and state files.
pub fn invocation(
    app_config: Option<&Path>,
    base: &BaseArgs,
    env: &HashMap<String, String>,
) -> Result<Invocation> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let path = locate(app_config, env, &cwd);
    let lock = std::path::absolute(lock_file(&path, env)).unwrap_or_else(|_| lock_file(&path, env));
    let source = IniFile::shared(
        &path,
        &["resilient"],
        format!(
            "Give it with --app-config FILE or {APP_CONFIG_ENV} (else ./app.config, else \
             ~/.resilient/app.config is read); create it with `resilient-circuits config -c` \
             and append the [fn_threatq] section that `{BINARY} config` prints."
        ),
    );
    Ok(Invocation {
        instance: BINARY.to_string(),
        log: base.log_location(),
        verbosity: base.verbosity,
        check: base.check,
        source: Box::new(source),
        layout: layout(),
        files: InstanceFiles::beside_lock(&lock),
    })
}

/// Parses a `field=name, field=name` mapping option (custom_attributes, custom_objects).
pub fn mapping(c: &Config, opt: ListOpt) -> Result<Vec<(String, String)>> {
    c.get(opt)
        .iter()
        .map(|item| match item.split_once('=') {
            Some((field, name)) if !field.trim().is_empty() && !name.trim().is_empty() => {
                Ok((field.trim().to_string(), name.trim().to_string()))
            }
            _ => Err(c.error(
                opt,
                format!("\"{item}\" is not field_name=name (e.g. internal_severity=Severity)"),
            )),
        })
        .collect()
}

/// The checks one option cannot make alone: Resilient credentials (email and password,
/// or api_key_id and api_key_secret), `cafile`/`stomp_cafile` (a readable file or
/// `false`), the two mappings.
pub fn validate(c: &Config) -> Result<()> {
    let pair = |a: bool, b: bool| a && b;
    let by_password = pair(c.get(EMAIL).is_some(), c.get(PASSWORD).is_some());
    let by_key = pair(c.get(API_KEY_ID).is_some(), c.get(API_KEY_SECRET).is_some());
    if !by_password && !by_key {
        let why = "is missing: set email and password, or api_key_id and api_key_secret";
        return Err(if c.get(EMAIL).is_some() {
            c.error(PASSWORD, why)
        } else {
            c.error(EMAIL, why)
        });
    }
    for opt in [CAFILE, STOMP_CAFILE] {
        if let Some(v) = c.get(opt) {
            if !v.eq_ignore_ascii_case("false") {
                std::fs::File::open(&v).map_err(|e| {
                    c.error(
                        opt,
                        format!("cannot read file \"{v}\": {e} (give a PEM file, or false)"),
                    )
                })?;
            }
        }
    }
    mapping(c, CUSTOM_ATTRIBUTES)?;
    mapping(c, CUSTOM_OBJECTS)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<const N: usize>(pairs: [(&str, &str); N]) -> HashMap<String, String> {
        HashMap::from(pairs.map(|(k, v)| (k.to_owned(), v.to_owned())))
    }

    #[test]
    fn app_config_is_found_as_resilient_circuits_finds_it() {
        let dir = tempfile::tempdir().unwrap();
        let home = env([("HOME", "/home/op")]);
        assert_eq!(
            locate(None, &home, dir.path()),
            PathBuf::from("/home/op/.resilient/app.config")
        );
        std::fs::write(dir.path().join("app.config"), "").unwrap();
        assert_eq!(
            locate(None, &home, dir.path()),
            dir.path().join("app.config")
        );
        let with_env = env([("HOME", "/home/op"), (APP_CONFIG_ENV, "/etc/rc/app.config")]);
        assert_eq!(
            locate(None, &with_env, dir.path()),
            PathBuf::from("/etc/rc/app.config")
        );
        assert_eq!(
            locate(Some(Path::new("/x/a.config")), &with_env, dir.path()),
            PathBuf::from("/x/a.config")
        );
    }

    #[test]
    fn lock_and_state_files() {
        let cfg = Path::new("/home/op/.resilient/app.config");
        assert_eq!(
            lock_file(cfg, &env([])),
            PathBuf::from("/home/op/.resilient/app.config.lock")
        );
        let lock = lock_file(cfg, &env([(APP_LOCK_ENV, "/run/rc/functions.lock")]));
        assert_eq!(lock, PathBuf::from("/run/rc/functions.lock"));
        let files = InstanceFiles::beside_lock(&lock);
        assert_eq!(files.state, PathBuf::from("/run/rc/functions.state.json"));
        assert_eq!(files.dir, PathBuf::from("/run/rc"));
    }

    fn load(text: &str) -> Result<Config> {
        let raw = tq_common::config::source::parse_ini(
            "app.config",
            text,
            tq_common::config::source::Dialect::CONFIGPARSER,
        )?;
        let shared = tq_common::config::Sections::Shared {
            open: &["resilient"],
        };
        let c = Config::validate("app.config", &raw, &options(), shared)?;
        validate(&c)?;
        Ok(c)
    }

    const GOOD: &str = "[resilient]\nhost = soar.example.com\norg = Acme\nemail = a@b.c\n\
        password = pw-1\nlogdir = /var/log/rc\n[fn_threatq]\nHost = tq.example.com\n\
        username = u@b.c\npassword = tq-pw-1\ncid = cid-1\ncustom_attributes = \
        internal_severity=Severity,\n  internal_confidence = Confidence\n[fn_other]\nx = 1\n";

    #[test]
    fn reads_app_config_as_configparser_does() {
        let c = load(GOOD).unwrap();
        assert_eq!(c.get(THREATQ.host), "https://tq.example.com");
        assert_eq!(c.get(CUSTOM_SOURCE), "Resilient");
        assert_eq!(c.get(THREATQ.status), "Review");
        assert_eq!(c.get(STOMP_PORT), 65001);
        assert_eq!(
            mapping(&c, CUSTOM_ATTRIBUTES).unwrap(),
            [
                ("internal_severity".to_string(), "Severity".to_string()),
                ("internal_confidence".to_string(), "Confidence".to_string())
            ]
        );
        let s = THREATQ.settings(&c);
        assert_eq!(s.client_id.expose(), "cid-1");
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = |text: &str| load(text).unwrap_err().to_string();
        assert_eq!(
            err(&GOOD.replace("cid = cid-1", "cid = cid-1\nverify = no")),
            "app.config: [fn_threatq] verify: unknown option; valid options: host, cid, \
             username, password, status, ca_file, verify_tls, custom_source, \
             custom_attributes, custom_objects, destination"
        );
        assert!(err(&GOOD.replace("org = Acme", "port = 99999"))
            .starts_with("app.config: [resilient] port: \"99999\" is not an integer"));
        assert_eq!(
            err(&GOOD.replace("password = pw-1\n", "")),
            "app.config: [resilient] password: is missing: set email and password, or \
             api_key_id and api_key_secret"
        );
        assert!(
            err(&GOOD.replace("org = Acme", "cafile = /nonexistent.pem"))
                .starts_with("app.config: [resilient] cafile: cannot read file")
        );
        assert!(load(&GOOD.replace("org = Acme", "cafile = false")).is_ok());
        assert!(err(&GOOD.replace("internal_severity=Severity", "internal_severity"))
            .starts_with("app.config: [fn_threatq] custom_attributes: \"internal_severity\" is not field_name=name"));
    }

    #[test]
    fn the_template_lists_every_fn_threatq_option_and_validates_once_filled() {
        let t = template();
        for o in fn_threatq_options() {
            assert!(
                t.contains(&format!("\n{} = ", o.name)),
                "{} missing",
                o.name
            );
        }
        let filled = t
            .replace("\nhost = \n", "\nhost = tq\n")
            .replace("\nusername = \n", "\nusername = u\n")
            .replace("\npassword = \n", "\npassword = p-123\n")
            .replace("\ncid = \n", "\ncid = c-123\n");
        load(&format!(
            "[resilient]\nhost = h\napi_key_id = k\napi_key_secret = s-123\n{filled}"
        ))
        .unwrap();
    }
}
