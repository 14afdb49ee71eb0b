//! Node-API values for the core's rulebook ([`wxudp::frontend::Source`]): what a value
//! is, its properties, its bytes. The rules (which option is read when, what a port
//! is, which fault wins) are the core's, the same the JS runtime follows, so that the
//! same fixtures pass on both hosts.

use wxudp::frontend::{Key, Kind, Source, ViewError};

use crate::js::{Cx, Val};

/// The values of one call from JavaScript, with the loader's interned option names: the
/// loader passes its `KEYS` array (the names of [`Key::ALL`], in that order), so that
/// each name is a string the engine already interned (a name made from UTF-8 on each
/// read would cost a lookup in V8's string table every time).
#[derive(Clone, Copy)]
pub(crate) struct Napi {
    pub(crate) cx: Cx,
    keys: Option<Val>,
}

impl Napi {
    /// Values of the call `cx`, without interned names.
    pub(crate) fn new(cx: Cx) -> Self {
        Napi { cx, keys: None }
    }

    /// Values of the call `cx`, reading options by the names in `keys` (an array).
    pub(crate) fn with_keys(cx: Cx, keys: Val) -> Self {
        let keys = cx.is_array(keys).then_some(keys);
        Napi { cx, keys }
    }
}

impl Source for Napi {
    type Value = Val;

    fn kind(&self, v: &Val) -> Kind {
        self.cx.kind(*v)
    }

    fn is_array_buffer(&self, v: &Val) -> bool {
        self.cx.is_array_buffer(*v)
    }

    fn is_view(&self, v: &Val) -> bool {
        self.cx.is_typed_array(*v) || self.cx.is_data_view(*v)
    }

    fn number(&self, v: &Val) -> Option<f64> {
        self.cx.number(*v)
    }

    fn text(&self, v: &Val) -> Option<String> {
        (self.cx.kind(*v) == Kind::String).then(|| self.cx.string(*v))
    }

    fn truthy(&self, v: &Val) -> bool {
        self.cx.truthy(*v)
    }

    fn get(&self, obj: &Val, key: Key) -> Val {
        let cx = self.cx;
        match self.keys.and_then(|k| cx.element(k, key as u32)) {
            Some(k) if cx.kind(k) == Kind::String => cx.get_by(*obj, k),
            _ => cx.get(*obj, key_name(key)),
        }
    }

    fn with_bytes<R>(
        &self,
        v: &Val,
        window: Option<(usize, usize)>,
        read: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, ViewError> {
        self.cx.with_buffer(*v, window, read)
    }
}

/// `key`'s name as Node-API takes it.
fn key_name(key: Key) -> &'static std::ffi::CStr {
    match key {
        Key::Address => c"address",
        Key::Port => c"port",
        Key::Message => c"message",
        Key::Offset => c"offset",
        Key::Length => c"length",
        Key::SetBroadcast => c"setBroadcast",
        Key::Buffer => c"buffer",
        Key::ByteOffset => c"byteOffset",
        Key::ByteLength => c"byteLength",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_its_name() {
        for key in Key::ALL {
            assert_eq!(key_name(key).to_str().unwrap(), key.name());
        }
    }
}
