//! The natives of storage.js: get, set, remove and clear, each answering the reason of
//! a failure (the text after `setStorage:fail `) or nothing.

use rquickjs::function::Opt;
use rquickjs::Ctx;
use rquickjs::{Function, Object, Value};

use crate::runtime::convert::JsText;
use std::cell::RefCell;
use std::rc::Rc;

use super::Storage;

/// Adds `N.storageGet`, `N.storageSet`, `N.storageRemove`, `N.storageClear` and the
/// limits storage.js checks before it calls them.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    n: &Object<'js>,
    storage: Storage,
) -> rquickjs::Result<()> {
    let storage = Rc::new(RefCell::new(storage));
    let h = storage.clone();
    n.set(
        "storageGet",
        Function::new(ctx.clone(), move |JsText(key): JsText| {
            h.borrow().get(&key).map(str::to_owned)
        })?,
    )?;
    // Each returns the reason of a failure (the text after `setStorage:fail `), or
    // nothing.
    let h = storage.clone();
    n.set(
        "storageSet",
        Function::new(
            ctx.clone(),
            move |JsText(key): JsText, JsText(json): JsText| {
                let result = h.borrow_mut().set(key, json);
                result.err().map(|e| e.reason())
            },
        )?,
    )?;
    let h = storage.clone();
    n.set(
        "storageRemove",
        Function::new(ctx.clone(), move |JsText(key): JsText| {
            let result = h.borrow_mut().remove(&key);
            result.err().map(|e| e.reason())
        })?,
    )?;
    let h = storage.clone();
    n.set(
        "storageClear",
        Function::new(ctx.clone(), move |_unused: Opt<Value<'js>>| {
            let result = h.borrow_mut().clear();
            result.err().map(|e| e.reason())
        })?,
    )?;
    n.set("storageMaxDepth", crate::wx::storage::MAX_DEPTH)?;
    n.set("storageMaxItem", crate::wx::storage::MAX_ITEM_BYTES)?;
    n.set("storageItemTooLong", crate::wx::storage::ITEM_TOO_LONG)?;
    Ok(())
}
