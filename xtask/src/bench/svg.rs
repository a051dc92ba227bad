//! A grouped bar chart of one scenario run: one group per thread count, one
//! bar per implementation, ours in warm colours and peers in cool ones. A
//! bar is the implementation's median; for a paired run a whisker spans
//! the p10–p90 of its rounds.

use super::data::{Method, ScenarioRun};
use super::report::{implementations, thread_counts};
use super::stats::{self, Summary};

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 400.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
/// Room under the plot for the thread labels and the legend.
const BOTTOM: f64 = 110.0;
const OURS: [&str; 3] = ["#d95f02", "#e7298a", "#e6ab02"];
const PEERS: [&str; 6] = [
    "#1b9e77", "#7570b3", "#66a61e", "#386cb0", "#a6761d", "#666666",
];

pub fn chart(run: &ScenarioRun, ours: impl Fn(&str) -> bool) -> String {
    let names = implementations(run, &ours);
    let threads = thread_counts(run);
    let (mut ours_used, mut peers_used) = (0, 0);
    let colours: Vec<&str> = names
        .iter()
        .map(|name| {
            let (palette, used): (&[&str], &mut usize) = if ours(name) {
                (&OURS, &mut ours_used)
            } else {
                (&PEERS, &mut peers_used)
            };
            *used += 1;
            palette[(*used - 1) % palette.len()]
        })
        .collect();
    let summary = |name: &str, threads: usize| stats::summarize(stats::values(run, name, threads));
    let top_value = nice_ceiling(
        names
            .iter()
            .flat_map(|name| threads.iter().filter_map(|&t| summary(name, t)))
            .map(|s| s.p90.max(s.median))
            .fold(0.0, f64::max),
    );
    let plot_width = WIDTH - LEFT - RIGHT;
    let plot_height = HEIGHT - TOP - BOTTOM;
    let y = |value: f64| TOP + plot_height * (1.0 - value / top_value);

    let mut svg = String::new();
    let mut out = |s: String| svg.push_str(&s);
    out(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{LEFT}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{} ({}, {} is better)</text>\n\
         <text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">{}</text>\n",
        escape(&run.scenario),
        escape(&run.unit.name),
        if run.unit.higher_is_better { "higher" } else { "lower" },
        WIDTH - RIGHT,
        HEIGHT - 6.0,
        match run.method() {
            Method::Paired { rounds } => format!("paired rounds ({rounds}): bar = median, whisker = p10–p90"),
            Method::Unpaired => "older unpaired run (criterion medians)".to_owned(),
            Method::Metric => "one measurement per implementation".to_owned(),
        }
    ));
    for step in 0..=5 {
        let value = top_value * f64::from(step) / 5.0;
        let at = y(value);
        out(format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{at:.1}\" y2=\"{at:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            WIDTH - RIGHT,
            LEFT - 6.0,
            at + 4.0,
            format_value(value)
        ));
    }
    let group_width = plot_width / threads.len().max(1) as f64;
    let bar_width = group_width * 0.8 / names.len().max(1) as f64;
    for (group, &t) in threads.iter().enumerate() {
        let group_left = LEFT + group_width * group as f64 + group_width * 0.1;
        for (bar, name) in names.iter().enumerate() {
            let Some(Summary { median, p10, p90 }) = summary(name, t) else {
                continue;
            };
            let x = group_left + bar_width * bar as f64;
            let centre = x + bar_width * 0.46;
            out(format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {median:.1}</title></rect>\
                 <text x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>\n",
                y(median),
                bar_width * 0.92,
                TOP + plot_height - y(median),
                colours[bar],
                escape(name),
                y(median.max(p90)) - 3.0,
                format_value(median)
            ));
            if p90 > p10 {
                out(format!(
                    "<line x1=\"{centre:.1}\" x2=\"{centre:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/>\n",
                    y(p10),
                    y(p90)
                ));
            }
        }
        out(format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{t} thread{}</text>\n",
            group_left + group_width * 0.4,
            TOP + plot_height + 18.0,
            if t == 1 { "" } else { "s" }
        ));
    }
    for (row, name) in names.iter().enumerate() {
        let x = LEFT + if row % 2 == 0 { 0.0 } else { plot_width / 2.0 };
        let y = TOP + plot_height + 40.0 + 18.0 * (row / 2) as f64;
        out(format!(
            "<rect x=\"{x}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{y:.1}\">{}</text>\n",
            y - 10.0,
            colours[row],
            x + 18.0,
            escape(name)
        ));
    }
    out("</svg>\n".to_owned());
    svg
}

/// The smallest of 1, 2 or 5 times a power of ten that is at least `value`.
fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 {
        return 1.0;
    }
    let magnitude = 10_f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&candidate| candidate >= value)
        .unwrap_or(10.0 * magnitude)
}

fn format_value(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_are_round_numbers_at_or_above_the_value() {
        assert_eq!(nice_ceiling(156.0), 200.0);
        assert_eq!(nice_ceiling(200.0), 200.0);
        assert_eq!(nice_ceiling(3.2), 5.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
    }

    #[test]
    fn names_are_escaped_for_xml() {
        assert_eq!(escape("Mutex<u64> & co"), "Mutex&lt;u64&gt; &amp; co");
    }
}
