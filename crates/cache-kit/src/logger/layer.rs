//! [`LoggerLayer`]: `tracing` events through the logger, span context
//! included.

use std::error::Error;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::{Event, Level, Subscriber};
use tracing_log::NormalizeEvent as _;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::{ExtensionsMut, LookupSpan};
use tracing_subscriber::Layer;

use super::format::{format_caught, Formatted, DISPLAY_FAILED};
use super::{Shared, Target};

/// A `tracing-subscriber` [`Layer`] that logs `tracing` events through a
/// [`LockFreeLogger`](crate::LockFreeLogger), from
/// [`LockFreeLogger::layer`](crate::LockFreeLogger::layer) (cargo feature
/// `tracing`).
///
/// On the caller's thread it records an event's level, target, fields and
/// span context into one `String` (the fields' `Debug` and `Display` run
/// there: they borrow the caller's values) and pushes it into the logger's
/// buffer; the writer thread stamps and formats the line:
///
/// ```text
/// 2026-11-27T23:59:59.123456Z INFO  [main] request{id=7}:db{table="users"}: app::db: slow query elapsed_ms=250
/// ```
///
/// The fields are written as `tracing_subscriber::fmt`'s default format
/// writes them: the message first (by its `Display`), then `name=value`
/// (a string value quoted, other values by `Debug`, an error by `Display`
/// with `name.sources=[..]` listing its sources). The spans are the
/// event's, from the root, each `name{fields}` (the fields recorded when
/// it was created and by `Span::record` since), separated by `:`.
///
/// A `log` record that tracing-log's `LogTracer` made an event (what
/// `tracing_subscriber`'s `.init()` installs with its default features)
/// is written and filtered under its own target, with the `log.*` fields
/// tracing-log adds left out, as `fmt` does.
///
/// The logger's promises hold: its level and [`filter`] apply (a `tracing`
/// target is a module path, like a `log` one), a full buffer drops and
/// counts the event ([`Overflow::DropNewest`]) or waits
/// ([`Overflow::Block`]), every event is counted in
/// [`LoggerStats`]. A field whose `Debug` or `Display` panics or fails
/// never reaches the caller: the event is written with the fields
/// formatted before the failure and a `[formatting panicked: ..]` marker,
/// and counted in `format_errors`; a span's failing field is marked in its
/// fields, and each event inside that span counted in `format_errors`.
///
/// It needs a subscriber that stores spans (`tracing_subscriber`'s
/// `Registry`); the layer keeps its formatted span fields in the spans'
/// extensions. A logger dropped or shut down while the layer lives counts
/// the layer's events as dropped.
///
/// [`filter`]: crate::LoggerBuilder::filter
/// [`Overflow::DropNewest`]: crate::Overflow::DropNewest
/// [`Overflow::Block`]: crate::Overflow::Block
/// [`LoggerStats`]: crate::LoggerStats
///
/// # Examples
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tracing_subscriber::layer::SubscriberExt as _;
///
/// #[derive(Clone, Default)]
/// struct Shared(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for Shared {
///     fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
///         self.0.lock().unwrap().write(bytes)
///     }
///     fn flush(&mut self) -> std::io::Result<()> {
///         Ok(())
///     }
/// }
///
/// let sink = Shared::default();
/// let logger = cache_kit::LockFreeLogger::builder(sink.clone()).start();
/// let subscriber = tracing_subscriber::Registry::default().with(logger.layer());
/// tracing::subscriber::with_default(subscriber, || {
///     let _request = tracing::info_span!("request", id = 7).entered();
///     tracing::warn!(target: "app::db", elapsed_ms = 250, "slow query");
/// });
/// logger.flush();
/// let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
/// assert!(text.ends_with(" WARN  [main] request{id=7}: app::db: slow query elapsed_ms=250\n"), "{text}");
/// ```
#[must_use = "a layer does nothing until a subscriber is built with it"]
pub struct LoggerLayer {
    shared: Arc<Shared>,
    /// This layer among all in the process: its copy of a span's fields in
    /// the span's extensions (which all layers of a subscriber share) is
    /// the one with this id.
    id: usize,
}

impl LoggerLayer {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        // Relaxed: a unique number, nothing else.
        static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self { shared, id }
    }
}

impl fmt::Debug for LoggerLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoggerLayer")
            .field("level", &self.shared.level)
            .finish_non_exhaustive()
    }
}

/// A span's fields as each layer formatted them, in its extensions: one
/// copy per layer, so that two logger layers in one subscriber each add a
/// later `Span::record` once, not once per layer.
#[derive(Default)]
struct SpanFields {
    by_layer: Vec<(usize, LayerFields)>,
}

/// One layer's copy of a span's fields.
#[derive(Default)]
struct LayerFields {
    text: String,
    /// A field's `Debug` or `Display` panicked or failed.
    failed: bool,
}

impl SpanFields {
    fn of(&self, layer: usize) -> Option<&LayerFields> {
        self.by_layer
            .iter()
            .find_map(|(id, fields)| (*id == layer).then_some(fields))
    }

    fn of_mut(&mut self, layer: usize) -> &mut LayerFields {
        let index = match self.by_layer.iter().position(|(id, _)| *id == layer) {
            Some(index) => index,
            None => {
                self.by_layer.push((layer, LayerFields::default()));
                self.by_layer.len() - 1
            }
        };
        &mut self.by_layer[index].1
    }

    /// Runs `write` on `layer`'s copy of the span's fields, inserting the
    /// span's `SpanFields` (and the layer's copy) first if absent.
    fn update(
        extensions: &mut ExtensionsMut<'_>,
        layer: usize,
        write: impl FnOnce(&mut LayerFields),
    ) {
        if extensions.get_mut::<SpanFields>().is_none() {
            extensions.insert(SpanFields::default());
        }
        if let Some(fields) = extensions.get_mut::<SpanFields>() {
            write(fields.of_mut(layer));
        }
    }
}

/// Formats `fields` (a span's attributes or record) with the user's
/// `Debug` and `Display` caught; `(text, failed)`.
fn format_span_fields(fields: impl FnOnce(&mut FieldWriter<'_>)) -> (String, bool) {
    let (text, failed, _) = format_caught(
        |_| {},
        |scratch| {
            let mut writer = FieldWriter::new(scratch);
            fields(&mut writer);
            writer.outcome()
        },
        str::to_owned,
    );
    (text, failed)
}

impl<S> Layer<S> for LoggerLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        // The user's code runs before the span's extensions are locked.
        let (text, failed) = format_span_fields(|writer| attrs.record(writer));
        if let Some(span) = ctx.span(id) {
            SpanFields::update(&mut span.extensions_mut(), self.id, |fields| {
                *fields = LayerFields { text, failed };
            });
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let (added, failed) = format_span_fields(|writer| values.record(writer));
        if added.is_empty() && !failed {
            return;
        }
        let Some(span) = ctx.span(id) else { return };
        SpanFields::update(&mut span.extensions_mut(), self.id, |fields| {
            if !fields.text.is_empty() && !added.is_empty() {
                fields.text.push(' ');
            }
            fields.text.push_str(&added);
            fields.failed |= failed;
        });
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // A `log` record that tracing-log's `LogTracer` turned into an
        // event (`tracing_subscriber`'s `.init()` installs it) has the
        // target `log` and its own in `log.*` fields: filed and filtered
        // under its own, as `fmt` does (a break run: filed under `log`, and
        // filtered out silently where a directive named its target).
        // Reading them runs no user code.
        let bridged = event.normalized_metadata();
        let metadata = bridged.as_ref().unwrap_or_else(|| event.metadata());
        let level = log_level(*metadata.level());
        let target = metadata.target();
        let shared = &*self.shared;
        if !shared.enabled(level, target) {
            return;
        }
        shared.logged.increment();
        let mut span_failed = false;
        // The span context: our own text, copied under the spans'
        // extension read locks (no user code runs there). A bridged
        // record's target goes first (see `Target::Bridged`).
        let head = |scratch: &mut String| {
            if bridged.is_some() {
                scratch.push_str(target);
            }
            let start = scratch.len();
            let Some(scope) = ctx.event_scope(event) else {
                return;
            };
            for span in scope.from_root() {
                if scratch.len() > start {
                    scratch.push(':');
                }
                scratch.push_str(span.name());
                let extensions = span.extensions();
                if let Some(fields) = extensions
                    .get::<SpanFields>()
                    .and_then(|fields| fields.of(self.id))
                {
                    if !fields.text.is_empty() {
                        scratch.push('{');
                        scratch.push_str(&fields.text);
                        scratch.push('}');
                    }
                    span_failed |= fields.failed;
                }
            }
        };
        let (text, failed, context) = format_caught(
            head,
            |scratch| {
                let mut writer = FieldWriter::new(scratch);
                event.record(&mut writer);
                writer.outcome()
            },
            |formatted| shared.spares.text(formatted),
        );
        let formatted = Formatted {
            text,
            failed: failed || span_failed,
        };
        let target = if bridged.is_some() {
            Target::Bridged {
                target: target.len(),
                context: context - target.len(),
            }
        } else {
            Target::Spans {
                target: event.metadata().target(),
                context,
            }
        };
        shared.push(level, target, formatted);
    }
}

fn log_level(level: Level) -> log::Level {
    match level {
        Level::ERROR => log::Level::Error,
        Level::WARN => log::Level::Warn,
        Level::INFO => log::Level::Info,
        Level::DEBUG => log::Level::Debug,
        Level::TRACE => log::Level::Trace,
    }
}

/// Writes fields as `tracing_subscriber::fmt`'s `DefaultFields` does:
/// separated by spaces, the message bare, the others `name=value`.
struct FieldWriter<'a> {
    out: &'a mut String,
    start: usize,
    /// No `Debug` or `Display` impl has returned an error.
    ok: bool,
}

impl<'a> FieldWriter<'a> {
    fn new(out: &'a mut String) -> Self {
        let start = out.len();
        Self {
            out,
            start,
            ok: true,
        }
    }

    /// Whether every impl succeeded, as `format_caught` takes it.
    fn outcome(&self) -> Result<(), &'static str> {
        if self.ok {
            Ok(())
        } else {
            Err(DISPLAY_FAILED)
        }
    }

    fn pad(&mut self) {
        if self.out.len() > self.start {
            self.out.push(' ');
        }
    }

    fn write(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        // tracing-log's fields of a bridged `log` record (its target,
        // module, file and line), which `fmt` leaves out too.
        if field.name().starts_with("log.") {
            return;
        }
        self.pad();
        let written = match field.name() {
            "message" => self.out.write_fmt(value),
            name => {
                let name = name.strip_prefix("r#").unwrap_or(name);
                write!(self.out, "{name}={value}")
            }
        };
        self.ok &= written.is_ok();
    }
}

impl Visit for FieldWriter<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.write(field, format_args!("{value}"));
        } else {
            self.write(field, format_args!("{value:?}"));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn Error + 'static)) {
        match value.source() {
            Some(source) => self.write(
                field,
                format_args!("{value} {}.sources={}", field.name(), Sources(source)),
            ),
            None => self.write(field, format_args!("{value}")),
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, format_args!("{value:?}"));
    }
}

/// An error's chain of sources, `[first, second]`, each by its `Display`.
struct Sources<'a>(&'a (dyn Error + 'static));

impl fmt::Display for Sources<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        let mut next = Some(self.0);
        while let Some(error) = next {
            list.entry(&format_args!("{error}"));
            next = error.source();
        }
        list.finish()
    }
}
