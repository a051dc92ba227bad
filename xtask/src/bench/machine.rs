//! Which machine a run was measured on, and when.

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// The CPU model, as /proc/cpuinfo names it.
    pub cpu: String,
    /// Hardware threads this process may use.
    pub threads: usize,
}

impl Machine {
    pub fn this_one() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find_map(|line| line.strip_prefix("model name"))
                    .and_then(|rest| rest.split_once(':'))
                    .map(|(_, model)| model.split_whitespace().collect::<Vec<_>>().join(" "))
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        Machine { cpu, threads }
    }

    /// "AMD EPYC 7B13, 2 hardware threads"
    pub fn label(&self) -> String {
        format!("{}, {} hardware threads", self.cpu, self.threads)
    }

    /// A directory name: "2-threads-amd-epyc-7b13".
    pub fn slug(&self) -> String {
        let cpu: String = self
            .cpu
            .to_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|word| !word.is_empty() && !matches!(*word, "r" | "tm" | "cpu" | "processor"))
            .collect::<Vec<_>>()
            .join("-");
        format!("{}-threads-{cpu}", self.threads)
    }
}

/// A run made elsewhere, as `machine.tsv` describes it (see `bench --import`).
#[derive(Debug)]
pub struct Description {
    pub machine: Machine,
    pub date: String,
    pub command: String,
}

impl Description {
    pub fn read(path: &std::path::Path) -> crate::Result<Description> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let field = |key: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('\t'))
                .map(|value| value.trim().to_owned())
                .ok_or_else(|| format!("{}: no `{key}` line", path.display()))
        };
        Ok(Description {
            machine: Machine {
                cpu: field("cpu")?,
                threads: field("threads")?
                    .parse()
                    .map_err(|_| format!("{}: `threads` is not a number", path.display()))?,
            },
            date: field("date")?,
            command: field("command")?,
        })
    }
}

/// Today's date (UTC) as YYYY-MM-DD.
pub fn today() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to a date.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_days_to_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_784), (2026, 11, 27));
    }

    #[test]
    fn slug_keeps_the_model_and_drops_marks() {
        let machine = Machine {
            cpu: "Intel(R) Xeon(R) Platinum 8480+ CPU @ 2.0GHz".into(),
            threads: 16,
        };
        assert_eq!(machine.slug(), "16-threads-intel-xeon-platinum-8480-2-0ghz");
    }
}
