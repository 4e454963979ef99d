//! What the benchmarks read of a process from /proc: kB figures of `status`, CPU seconds of
//! `stat` and the resident memory per mapping of `smaps`.

use std::collections::BTreeMap;

/// One process's /proc directory.
#[derive(Debug, Clone)]
pub struct Proc {
    dir: String,
}

impl Proc {
    /// This process (`/proc/self`).
    pub fn me() -> Proc {
        Proc {
            dir: "/proc/self".into(),
        }
    }

    /// Process `pid`.
    pub fn pid(pid: u32) -> Proc {
        Proc {
            dir: format!("/proc/{pid}"),
        }
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(format!("{}/{file}", self.dir)).unwrap_or_default()
    }

    /// A kB figure of `status` (`"VmRSS:"`, `"VmHWM:"`, `"RssAnon:"`, `"RssFile:"`); 0 when
    /// the process or the line is gone.
    pub fn status_kb(&self, key: &str) -> u64 {
        self.read("status")
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
            .unwrap_or(0)
    }

    /// utime + stime in seconds (fields 14 and 15 of `stat`, clock ticks of 1/100 s).
    pub fn cpu_s(&self) -> f64 {
        let stat = self.read("stat");
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        (t(11) + t(12)) / 100.0
    }

    /// Resident kB per mapped path (`[anon]` for anonymous mappings), from `smaps`.
    pub fn rss_by_mapping(&self) -> BTreeMap<String, u64> {
        let mut per = BTreeMap::new();
        let mut current = String::new();
        for line in self.read("smaps").lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.first()
                .is_some_and(|a| a.contains('-') && !a.ends_with(':'))
            {
                current = f.get(5).map_or("[anon]".to_string(), |p| p.to_string());
            } else if f.first() == Some(&"Rss:") {
                *per.entry(current.clone()).or_default() +=
                    f.get(1).and_then(|v| v.parse().ok()).unwrap_or(0);
            }
        }
        per
    }

    /// [`Proc::rss_by_mapping`] on stderr, one `kB  path` line per resident mapping.
    pub fn print_rss_by_mapping(&self) {
        for (k, v) in self.rss_by_mapping().iter().filter(|(_, v)| **v > 0) {
            eprintln!("{v:>8} kB  {k}");
        }
    }
}
