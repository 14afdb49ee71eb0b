//! The engine room of a run: the event loop and its inbox, timers, how a run stops,
//! how exceptions and unhandled rejections are reported, and the conversions between
//! JavaScript values and the core's typed values.

mod callbacks;
pub(crate) mod convert;
pub(crate) mod event_loop;
pub(crate) mod exception;
pub(crate) mod host;
mod inbox;
pub(crate) mod memory;
pub(crate) mod names;
pub(crate) mod rejections;
pub(crate) mod signals;
pub(crate) mod stop;
pub(crate) mod tasks;
pub mod timerfd;
pub(crate) mod timers;

use rquickjs::context::EvalOptions;
use rquickjs::{Ctx, Exception, Value};

/// Evaluates `source` as a global script in sloppy mode (as mini-program code often
/// is), whose stack frames and syntax errors name `filename`.
pub(crate) fn eval_named<'js>(
    ctx: &Ctx<'js>,
    source: &str,
    filename: &str,
) -> rquickjs::Result<Value<'js>> {
    if source.contains('\0') {
        return Err(Exception::throw_syntax(
            ctx,
            &format!("{filename}: the file contains a NUL byte"),
        ));
    }
    let mut options = EvalOptions::default();
    options.strict = false;
    options.filename = Some(filename.replace('\0', ""));
    ctx.eval_with_options(source, options)
}
