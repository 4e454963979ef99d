//! First run: no config file yet. Ask on a terminal (secrets without echo), or take the
//! `TQ_*` environment variables when there is no terminal (cron, containers, scripts);
//! otherwise fail saying both ways. Then write `<dir>/<instance>.ini` (mode 0600,
//! atomically) with every option and its help, and say where it is.

use std::collections::HashMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use crate::config::{self, Opt};
use crate::{Error, Result};

/// The environment variable that sets an option on first run:
/// `TQ_<NAME>` for `[threatq]`, `TQ_<SECTION>_<NAME>` for the others (`TQ_CONNECTOR_...`).
pub fn env_var(opt: &Opt) -> String {
    let name = opt.name.to_ascii_uppercase();
    if opt.section == "threatq" {
        format!("TQ_{name}")
    } else {
        format!("TQ_{}_{name}", opt.section.to_ascii_uppercase())
    }
}

/// Where the first-run values come from.
pub trait Source {
    /// Reads one value; `secret` = no echo.
    fn ask(&mut self, label: &str, secret: bool) -> Result<String>;
}

/// Asks on the controlling terminal: plain lines on stdin, secrets on /dev/tty with echo
/// off from before their prompt is shown until they are read.
pub struct Terminal;

impl Source for Terminal {
    fn ask(&mut self, label: &str, secret: bool) -> Result<String> {
        let prompt = format!("{label}: ");
        if secret {
            return read_secret(&prompt)
                .map_err(|e| Error::usage(format!("cannot read {label} from the terminal: {e}")));
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(prompt.as_bytes());
        let _ = out.flush();
        let mut line = String::new();
        let n = std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::usage(format!("cannot read {label}: {e}")))?;
        if n == 0 {
            return Err(Error::usage(format!(
                "input ended before {label} was given; nothing was written"
            )));
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

/// Shows `prompt` on the controlling terminal and reads a secret there without echo.
/// rpassword alone shows the prompt first and turns echo off after, so what is typed (or
/// pasted, or sent by a script) as soon as the prompt appears could still be echoed; here
/// echo is off before the prompt is written.
fn read_secret(prompt: &str) -> std::io::Result<String> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    let _quiet = crate::sys::EchoOff::on(&tty)?;
    let mut out = &tty;
    out.write_all(prompt.as_bytes())?;
    out.flush()?;
    rpassword::read_password()
}

/// Runs the first-run configuration and writes `file` with every option of `options`;
/// `asked` are the options asked on a terminal (the guides' five ThreatQ fields, see
/// [`crate::config::ThreatQKeys::first_run`]). `env` is the process environment (a
/// parameter so tests can pass their own). Returns the message to print.
pub fn first_run(
    binary: &str,
    file: &Path,
    options: &[Opt],
    asked: &[Opt],
    env: &HashMap<String, String>,
    terminal: Option<&mut dyn Source>,
) -> Result<String> {
    let mut values: HashMap<String, String> = HashMap::new();
    // Any option may come from the environment; each value is validated like the file's.
    for opt in options {
        let var = env_var(opt);
        if let Some(v) = env.get(&var) {
            config::parse_value(opt, v).map_err(|m| {
                Error::usage(format!(
                    "{var} (option [{}] {}): {m}",
                    opt.section, opt.name
                ))
            })?;
            values.insert(
                format!("{}.{}", opt.section, opt.name),
                v.trim().to_string(),
            );
        }
    }
    let missing: Vec<&Opt> = asked
        .iter()
        .filter(|o| !values.contains_key(&format!("{}.{}", o.section, o.name)))
        .collect();
    if !missing.is_empty() {
        let Some(term) = terminal else {
            let vars: Vec<String> = asked.iter().map(env_var).collect();
            let unset: Vec<String> = missing.iter().map(|o| env_var(o)).collect();
            let labels: Vec<&str> = asked.iter().map(|o| o.label).collect();
            return Err(Error::usage(format!(
                "no config file {} yet. Either run {binary} once on a terminal to be asked for \
                 {}, or set the environment variables {} (not set: {}). Nothing was written.",
                file.display(),
                labels.join(", "),
                vars.join(", "),
                unset.join(", ")
            )));
        };
        for opt in missing {
            let value = ask_valid(term, opt)?;
            values.insert(format!("{}.{}", opt.section, opt.name), value);
        }
    }
    let text = config::render_template(binary, options, &values);
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::usage(format!(
                "cannot create config directory {}: {e} (check -c/--config)",
                dir.display()
            ))
        })?;
    }
    crate::files::write_atomic(file, text.as_bytes(), 0o600).map_err(|e| {
        Error::usage(format!(
            "cannot write {}: {e} (check -c/--config)",
            file.display()
        ))
    })?;
    Ok(format!(
        "Connector configured. Set information in {}",
        file.display()
    ))
}

fn ask_valid(term: &mut dyn Source, opt: &Opt) -> Result<String> {
    for _ in 0..3 {
        let v = term.ask(opt.label, opt.is_secret())?;
        match config::parse_value(opt, &v) {
            Ok(_) => return Ok(v.trim().to_string()),
            Err(m) => eprintln!("{}: {m}", opt.label),
        }
    }
    Err(Error::usage(format!(
        "no valid {} after three tries; nothing was written",
        opt.label
    )))
}

/// The process environment as a map.
pub fn process_env() -> HashMap<String, String> {
    std::env::vars().collect()
}

/// True when stdin is a terminal (someone can answer the prompt).
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{all_options, Config, ENABLED, THREATQ};
    use std::os::unix::fs::PermissionsExt;

    struct Scripted(Vec<&'static str>, Vec<(String, bool)>);
    impl Source for Scripted {
        fn ask(&mut self, label: &str, secret: bool) -> Result<String> {
            self.1.push((label.to_string(), secret));
            Ok(self.0.remove(0).to_string())
        }
    }

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// The first run of a connector with only the common options, into a fresh directory:
    /// the directory (kept until dropped), the config file, the outcome.
    fn common_first_run(
        env: &HashMap<String, String>,
        terminal: Option<&mut dyn Source>,
    ) -> (tempfile::TempDir, std::path::PathBuf, Result<String>) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tq-x.ini");
        let options = all_options(&[]);
        let r = first_run("tq-x", &f, &options, &THREATQ.first_run(), env, terminal);
        (dir, f, r)
    }

    #[test]
    fn no_terminal_and_no_env_fails_and_writes_nothing() {
        let (_dir, f, r) = common_first_run(&env(&[]), None);
        let e = r.unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let m = e.to_string();
        assert!(
            m.contains("on a terminal") && m.contains("TQ_PASSWORD"),
            "{m}"
        );
        assert!(!f.exists());
    }

    #[test]
    fn env_writes_every_option_0600() {
        let e = env(&[
            ("TQ_HOST", "tq.local"),
            ("TQ_CLIENT_ID", "cid-9876"),
            ("TQ_USERNAME", "a@b.c"),
            ("TQ_PASSWORD", "pw-5432"),
            ("TQ_STATUS", "Review"),
            ("TQ_CONNECTOR_ENABLED", "false"),
        ]);
        let (_dir, f, r) = common_first_run(&e, None);
        let msg = r.unwrap();
        assert_eq!(
            msg,
            format!("Connector configured. Set information in {}", f.display())
        );
        assert_eq!(
            std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let text = std::fs::read_to_string(&f).unwrap();
        let c = Config::from_ini("tq-x.ini", &text, &all_options(&[])).unwrap();
        assert_eq!(c.get(THREATQ.password).expose(), "pw-5432");
        assert!(!c.get(ENABLED));
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let (_dir, f, r) = common_first_run(&env(&[("TQ_VERIFY_TLS", "maybe")]), None);
        let e = r.unwrap_err();
        assert!(
            e.to_string()
                .starts_with("TQ_VERIFY_TLS (option [threatq] verify_tls)"),
            "{e}"
        );
        assert!(!f.exists());
    }

    #[test]
    fn terminal_asks_the_five_fields_secrets_without_echo() {
        let mut s = Scripted(vec!["tq", "cid-1", "a@b.c", "pw-1", "Active"], vec![]);
        let (_dir, f, r) = common_first_run(&env(&[]), Some(&mut s));
        r.unwrap();
        let asked: Vec<_> = s.1.iter().map(|(l, sec)| (l.as_str(), *sec)).collect();
        assert_eq!(
            asked,
            [
                ("ThreatQ Host", false),
                ("Client ID", true),
                ("E-Mail Address", false),
                ("Password", true),
                ("Status", false)
            ]
        );
        assert!(f.exists());
    }
}
