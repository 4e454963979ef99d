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
    render_options, BoolOpt, Config, IntOpt, ListOpt, Maybe, Opt, PathOpt, SecretOpt,
    SharedIniFile, StrOpt, ThreatQKeys,
};
use tq_common::Result;

/// The binary name (and the instance name: the log file is `tq-resilient-fn.log`).
pub const BINARY: &str = "tq-resilient-fn";

/// The environment variable naming the app.config (resilient-circuits').
pub const APP_CONFIG_ENV: &str = "APP_CONFIG_FILE";

/// The environment variable naming the lock file (resilient-circuits', the guide's step 12).
pub const APP_LOCK_ENV: &str = "APP_LOCK_FILE";

const R: &str = "resilient";
const F: &str = "fn_threatq";

// [resilient]: what resilient-circuits reads that matters here (research/resilient.md §1).

/// `[resilient] host`.
pub const RESILIENT_HOST: StrOpt = StrOpt::new(
    R,
    "host",
    "Host",
    "Your Resilient host name or IP address (REST API, and STOMP unless stomp_host is set).",
);

/// `[resilient] port`.
pub const RESILIENT_PORT: IntOpt =
    IntOpt::new(R, "port", "Port", "The port of the Resilient REST API.")
        .range(1, 65535)
        .default("443");

/// `[resilient] org`.
pub const ORG: Maybe<StrOpt> = StrOpt::new(
    R,
    "org",
    "Org",
    "The organization name (case-sensitive, as the UI shows it); needed when the user belongs to several.",
)
.optional();

/// `[resilient] email`.
pub const EMAIL: Maybe<StrOpt> = StrOpt::new(
    R,
    "email",
    "Email",
    "The e-mail address to log in to Resilient with (with password; or use api_key_id and api_key_secret).",
)
.optional();

/// `[resilient] password`.
pub const PASSWORD: Maybe<SecretOpt> = SecretOpt::new(
    R,
    "password",
    "Password",
    "The password of that Resilient user.",
)
.optional();

/// `[resilient] api_key_id`.
pub const API_KEY_ID: Maybe<StrOpt> = StrOpt::new(
    R,
    "api_key_id",
    "API key ID",
    "A Resilient API key id; with api_key_secret it is used instead of email and password.",
)
.optional();

/// `[resilient] api_key_secret`.
pub const API_KEY_SECRET: Maybe<SecretOpt> = SecretOpt::new(
    R,
    "api_key_secret",
    "API key secret",
    "The secret of that API key.",
)
.optional();

/// `[resilient] cafile`.
pub const CAFILE: Maybe<StrOpt> = StrOpt::new(
    R,
    "cafile",
    "CA file",
    "A PEM file to verify the Resilient server certificate with (besides the system store), or false to turn verification off (insecure; a warning on every start).",
)
.optional();

/// `[resilient] stomp_host`.
pub const STOMP_HOST: Maybe<StrOpt> = StrOpt::new(
    R,
    "stomp_host",
    "STOMP host",
    "The STOMP host; empty = host.",
)
.optional();

/// `[resilient] stomp_port`.
pub const STOMP_PORT: IntOpt = IntOpt::new(R, "stomp_port", "STOMP port", "The STOMP port (TLS).")
    .range(1, 65535)
    .default("65001");

/// `[resilient] stomp_cafile`.
pub const STOMP_CAFILE: Maybe<StrOpt> = StrOpt::new(
    R,
    "stomp_cafile",
    "STOMP CA file",
    "A PEM file to verify the STOMP server certificate with, or false; empty = cafile.",
)
.optional();

/// `[resilient] stomp_timeout`.
pub const STOMP_TIMEOUT: IntOpt = IntOpt::new(
    R,
    "stomp_timeout",
    "STOMP timeout",
    "Seconds to wait for the STOMP connection and subscription.",
)
.range(1, 3600)
.default("60");

/// `[resilient] stomp_max_retries`.
pub const STOMP_MAX_RETRIES: IntOpt = IntOpt::new(
    R,
    "stomp_max_retries",
    "STOMP max retries",
    "Retries of a failed acknowledgement or reply.",
)
.range(0, 100)
.default("3");

/// `[resilient] stomp_prefetch_limit`.
pub const STOMP_PREFETCH_LIMIT: Maybe<IntOpt> = IntOpt::new(
    R,
    "stomp_prefetch_limit",
    "STOMP prefetch limit",
    "Messages the broker sends ahead (activemq.prefetchSize); empty = num_workers.",
)
.range(1, 10_000)
.optional();

/// `[resilient] num_workers`.
pub const NUM_WORKERS: IntOpt = IntOpt::new(
    R,
    "num_workers",
    "Workers",
    "Actions handled at the same time.",
)
.range(1, 1000)
.default("25");

// [fn_threatq]: the guide's fields, and ours for TLS and the status.

/// `[fn_threatq] host`.
pub const TQ_HOST: StrOpt = StrOpt::new(
    F,
    "host",
    "Host",
    "Your ThreatQ host name or IP address; host:port or an https:// URL also work.",
)
.host();

/// `[fn_threatq] username`.
pub const TQ_USERNAME: StrOpt = StrOpt::new(
    F,
    "username",
    "Username",
    "Your ThreatQ username (e-mail address).",
);

/// `[fn_threatq] password`.
pub const TQ_PASSWORD: SecretOpt =
    SecretOpt::new(F, "password", "Password", "Your ThreatQ password.");

/// `[fn_threatq] cid`.
pub const TQ_CID: SecretOpt = SecretOpt::new(
    F,
    "cid",
    "CID",
    "Your Client ID (OAuth), found in your ThreatQ profile.",
);

/// `[fn_threatq] custom_source`.
pub const CUSTOM_SOURCE: StrOpt = StrOpt::new(
    F,
    "custom_source",
    "Custom Source",
    "The source name of everything synced to ThreatQ.",
)
.default("Resilient");

/// `[fn_threatq] custom_attributes`.
pub const CUSTOM_ATTRIBUTES: ListOpt = ListOpt::new(
    F,
    "custom_attributes",
    "Custom Attributes",
    "Custom incident fields mapped to ThreatQ attributes: field_name=attribute_name, comma-separated (e.g. internal_severity=Severity, internal_confidence=Confidence). The field name is the field's programmatic name.",
);

/// `[fn_threatq] custom_objects`.
pub const CUSTOM_OBJECTS: ListOpt = ListOpt::new(
    F,
    "custom_objects",
    "Custom Objects",
    "Custom incident fields mapped to ThreatQ objects: field_name=object_collection, comma-separated (e.g. threat_actor=adversaries); each value becomes an object related to the event.",
);

/// `[fn_threatq] status`.
pub const TQ_STATUS: StrOpt = StrOpt::new(
    F,
    "status",
    "Status",
    "The status of indicators created without an Indicator Status field (must exist in ThreatQ).",
)
.default("Review");

/// `[fn_threatq] ca_file`.
pub const TQ_CA_FILE: Maybe<PathOpt> = PathOpt::file(
    F,
    "ca_file",
    "CA file",
    "A PEM file of CA certificates trusted for ThreatQ in addition to the system store (for a self-signed appliance certificate).",
)
.optional();

/// `[fn_threatq] verify_tls`.
pub const TQ_VERIFY_TLS: BoolOpt = BoolOpt::new(
    F,
    "verify_tls",
    "Verify TLS",
    "Verify ThreatQ's TLS certificate. false is insecure and logs a warning on every start.",
)
.default("true");

/// Where app.config holds the ThreatQ connection settings.
pub const THREATQ: ThreatQKeys = ThreatQKeys {
    host: TQ_HOST,
    client_id: TQ_CID,
    username: TQ_USERNAME,
    password: TQ_PASSWORD,
    status: TQ_STATUS,
    ca_file: TQ_CA_FILE,
    verify_tls: TQ_VERIFY_TLS,
    proxy: None,
    timeout: None,
};

/// The `[fn_threatq]` options, in the order `tq-resilient-fn config` prints them.
pub const FN_THREATQ_OPTIONS: &[Opt] = &[
    TQ_HOST.opt(),
    TQ_USERNAME.opt(),
    TQ_PASSWORD.opt(),
    TQ_CID.opt(),
    CUSTOM_SOURCE.opt(),
    CUSTOM_ATTRIBUTES.opt(),
    CUSTOM_OBJECTS.opt(),
    TQ_STATUS.opt(),
    TQ_CA_FILE.opt(),
    TQ_VERIFY_TLS.opt(),
];

/// The `[resilient]` keys we read.
pub const RESILIENT_OPTIONS: &[Opt] = &[
    RESILIENT_HOST.opt(),
    RESILIENT_PORT.opt(),
    ORG.opt(),
    EMAIL.opt(),
    PASSWORD.opt(),
    API_KEY_ID.opt(),
    API_KEY_SECRET.opt(),
    CAFILE.opt(),
    STOMP_HOST.opt(),
    STOMP_PORT.opt(),
    STOMP_CAFILE.opt(),
    STOMP_TIMEOUT.opt(),
    STOMP_MAX_RETRIES.opt(),
    STOMP_PREFETCH_LIMIT.opt(),
    NUM_WORKERS.opt(),
];

/// Every declared option: `[resilient]`, then `[fn_threatq]`.
pub fn options() -> Vec<Opt> {
    [RESILIENT_OPTIONS, FN_THREATQ_OPTIONS].concat()
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
        render_options(FN_THREATQ_OPTIONS, &HashMap::new())
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
    let source = SharedIniFile::new(
        &path,
        &[R],
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

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn app_config_is_found_as_resilient_circuits_finds_it() {
        let dir = tempfile::tempdir().unwrap();
        let home = env(&[("HOME", "/home/op")]);
        assert_eq!(
            locate(None, &home, dir.path()),
            PathBuf::from("/home/op/.resilient/app.config")
        );
        std::fs::write(dir.path().join("app.config"), "").unwrap();
        assert_eq!(
            locate(None, &home, dir.path()),
            dir.path().join("app.config")
        );
        let with_env = env(&[("HOME", "/home/op"), (APP_CONFIG_ENV, "/etc/rc/app.config")]);
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
            lock_file(cfg, &env(&[])),
            PathBuf::from("/home/op/.resilient/app.config.lock")
        );
        let lock = lock_file(cfg, &env(&[(APP_LOCK_ENV, "/run/rc/functions.lock")]));
        assert_eq!(lock, PathBuf::from("/run/rc/functions.lock"));
        let files = InstanceFiles::beside_lock(&lock);
        assert_eq!(files.state, PathBuf::from("/run/rc/functions.state.json"));
        assert_eq!(files.dir, PathBuf::from("/run/rc"));
    }

    fn load(text: &str) -> Result<Config> {
        let raw = tq_common::config::source::parse_ini(
            "app.config",
            text,
            tq_common::config::source::Dialect {
                lowercase_keys: true,
                multiline: true,
            },
        )?;
        let shared = tq_common::config::Sections::Shared { open: &[R] };
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
        assert_eq!(c.get(TQ_HOST), "https://tq.example.com");
        assert_eq!(c.get(CUSTOM_SOURCE), "Resilient");
        assert_eq!(c.get(TQ_STATUS), "Review");
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
            "app.config: [fn_threatq] verify: unknown option; valid options: host, username, \
             password, cid, custom_source, custom_attributes, custom_objects, status, ca_file, \
             verify_tls"
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
        for o in FN_THREATQ_OPTIONS {
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
