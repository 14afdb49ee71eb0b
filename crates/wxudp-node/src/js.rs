//! The raw Node-API calls the addon makes, each behind a safe function.
//!
//! This module is the one place of the crate that writes `unsafe` itself (the napi-rs
//! macros in `lib.rs` generate their own). Every function takes a [`Cx`], which exists
//! only inside a call from JavaScript (it is made from the [`napi::Env`] of that call),
//! and [`Val`]s, which are handles valid in that call's handle scope. Under those two
//! conditions each Node-API function below is sound to call; each `unsafe` block says
//! what else it relies on.
//!
//! No reference into memory JavaScript owns outlives a function here: bytes are copied
//! by [`Cx::with_buffer`] while no JavaScript runs, and never kept.

#![allow(unsafe_code)]

use std::ffi::{c_void, CStr};
use std::ptr;

use napi::sys;
use wxudp::frontend::Kind;

/// The environment of one call from JavaScript.
#[derive(Clone, Copy)]
pub(crate) struct Cx(sys::napi_env);

/// A JavaScript value, valid during the call it was given to or made in.
#[derive(Clone, Copy)]
pub(crate) struct Val(sys::napi_value);

/// Where the bytes of a buffer or view are.
pub(crate) enum Bytes {
    /// The ArrayBuffer was detached (`transfer()`).
    Detached,
    /// The bytes: a buffer's whole, or a view's window of its buffer.
    Here(*const u8, usize),
}

impl Cx {
    /// The environment of the current call.
    pub(crate) fn new(env: &napi::Env) -> Self {
        Cx(env.raw())
    }

    pub(crate) fn undefined(self) -> Val {
        let mut v = ptr::null_mut();
        // SAFETY: a valid env; `v` is an out-pointer.
        unsafe { sys::napi_get_undefined(self.0, &mut v) };
        Val(v)
    }

    /// What `v` is, in the rulebook's terms (an ArrayBuffer is an object).
    pub(crate) fn kind(self, v: Val) -> Kind {
        let mut t = 0;
        // SAFETY: a valid env and value; `t` is an out-pointer.
        if unsafe { sys::napi_typeof(self.0, v.0, &mut t) } != sys::Status::napi_ok {
            return Kind::Object;
        }
        match t {
            sys::ValueType::napi_undefined => Kind::Undefined,
            sys::ValueType::napi_null => Kind::Null,
            sys::ValueType::napi_boolean => Kind::Boolean,
            sys::ValueType::napi_number => Kind::Number,
            sys::ValueType::napi_string => Kind::String,
            sys::ValueType::napi_symbol => Kind::Symbol,
            sys::ValueType::napi_object if self.is_array(v) => Kind::Array,
            sys::ValueType::napi_object => Kind::Object,
            sys::ValueType::napi_function => Kind::Function,
            sys::ValueType::napi_bigint => Kind::BigInt,
            _ => Kind::Object,
        }
    }

    fn is(
        self,
        v: Val,
        f: unsafe fn(sys::napi_env, sys::napi_value, *mut bool) -> sys::napi_status,
    ) -> bool {
        let mut b = false;
        // SAFETY: `f` is one of the `napi_is_*` predicates, which take a valid env and
        // value and write a bool; none runs JavaScript.
        let ok = unsafe { f(self.0, v.0, &mut b) } == sys::Status::napi_ok;
        ok && b
    }

    pub(crate) fn is_array(self, v: Val) -> bool {
        self.is(v, sys::napi_is_array)
    }

    pub(crate) fn is_array_buffer(self, v: Val) -> bool {
        self.is(v, sys::napi_is_arraybuffer)
    }

    pub(crate) fn is_typed_array(self, v: Val) -> bool {
        self.is(v, sys::napi_is_typedarray)
    }

    pub(crate) fn is_data_view(self, v: Val) -> bool {
        self.is(v, sys::napi_is_dataview)
    }

    fn is_detached(self, buffer: Val) -> bool {
        self.is(buffer, sys::napi_is_detached_arraybuffer)
    }

    /// The number `v` holds, if it is a number (no conversion, no JavaScript runs).
    pub(crate) fn number(self, v: Val) -> Option<f64> {
        if self.kind(v) != Kind::Number {
            return None;
        }
        let mut n = 0.0;
        // SAFETY: a valid env and a number value; `n` is an out-pointer.
        let ok = unsafe { sys::napi_get_value_double(self.0, v.0, &mut n) } == sys::Status::napi_ok;
        ok.then_some(n)
    }

    /// A string's text as UTF-8; V8 writes a lone surrogate as U+FFFD, as `TextEncoder`
    /// does. No JavaScript runs.
    pub(crate) fn string(self, v: Val) -> String {
        let mut len = 0usize;
        // SAFETY: a valid env and a string value; a null buffer asks for the length.
        let ok =
            unsafe { sys::napi_get_value_string_utf8(self.0, v.0, ptr::null_mut(), 0, &mut len) }
                == sys::Status::napi_ok;
        if !ok {
            return String::new();
        }
        let mut buf = vec![0u8; len + 1];
        let mut written = 0usize;
        // SAFETY: `buf` has room for `len` bytes and the terminating NUL Node-API writes.
        let ok = unsafe {
            sys::napi_get_value_string_utf8(
                self.0,
                v.0,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut written,
            )
        } == sys::Status::napi_ok;
        if !ok {
            return String::new();
        }
        buf.truncate(written);
        String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// `obj[key]`: getters and Proxy traps run. If one throws, the exception is
    /// discarded and the property reads as `undefined` (a socket method reports, it
    /// never throws).
    pub(crate) fn get(self, obj: Val, key: &CStr) -> Val {
        let mut v = ptr::null_mut();
        // SAFETY: a valid env, an object value and a NUL-terminated key.
        let status = unsafe { sys::napi_get_named_property(self.0, obj.0, key.as_ptr(), &mut v) };
        if status != sys::Status::napi_ok || v.is_null() {
            self.clear_exception();
            return self.undefined();
        }
        Val(v)
    }

    /// `obj[key]` for a key given as a JavaScript string (already interned by the
    /// engine, so unlike [`get`](Cx::get) no key is made from UTF-8), with the same
    /// rules: getters run, a throwing one reads as `undefined`.
    pub(crate) fn get_by(self, obj: Val, key: Val) -> Val {
        let mut v = ptr::null_mut();
        // SAFETY: a valid env, an object value and a key value.
        let status = unsafe { sys::napi_get_property(self.0, obj.0, key.0, &mut v) };
        if status != sys::Status::napi_ok || v.is_null() {
            self.clear_exception();
            return self.undefined();
        }
        Val(v)
    }

    /// `arr[i]` of an array this addon was given, without running user code on a plain
    /// array; `None` if it is not there.
    /// An array's length (0 for anything else); no JavaScript runs.
    pub(crate) fn array_length(self, arr: Val) -> u32 {
        let mut n = 0u32;
        if !self.is_array(arr) {
            return 0;
        }
        // SAFETY: a valid env and an array value; `n` is an out-pointer.
        let ok =
            unsafe { sys::napi_get_array_length(self.0, arr.0, &mut n) } == sys::Status::napi_ok;
        if ok {
            n
        } else {
            0
        }
    }

    pub(crate) fn element(self, arr: Val, i: u32) -> Option<Val> {
        let mut v = ptr::null_mut();
        // SAFETY: a valid env and value; out-pointer.
        let ok = unsafe { sys::napi_get_element(self.0, arr.0, i, &mut v) } == sys::Status::napi_ok;
        if !ok {
            self.clear_exception();
        }
        (ok && !v.is_null()).then_some(Val(v))
    }

    /// Discards a pending exception, if any.
    pub(crate) fn clear_exception(self) {
        let mut pending = false;
        // SAFETY: a valid env; out-pointers.
        unsafe {
            sys::napi_is_exception_pending(self.0, &mut pending);
            if pending {
                let mut e = ptr::null_mut();
                sys::napi_get_and_clear_last_exception(self.0, &mut e);
            }
        }
    }

    /// JavaScript's `Boolean(v)`: runs no JavaScript.
    /// `a === b` (no JavaScript runs).
    pub(crate) fn strict_equals(self, a: Val, b: Val) -> bool {
        let mut out = false;
        // SAFETY: a valid env and two values; `out` is an out-pointer.
        let ok =
            unsafe { sys::napi_strict_equals(self.0, a.0, b.0, &mut out) } == sys::Status::napi_ok;
        ok && out
    }

    pub(crate) fn truthy(self, v: Val) -> bool {
        let mut b = ptr::null_mut();
        let mut out = false;
        // SAFETY: a valid env and value; ToBoolean calls no user code.
        unsafe {
            if sys::napi_coerce_to_bool(self.0, v.0, &mut b) != sys::Status::napi_ok {
                return false;
            }
            sys::napi_get_value_bool(self.0, b, &mut out);
        }
        out
    }

    /// Where the bytes of an ArrayBuffer, a typed array or a DataView are now, from
    /// their internal slots (no getter runs); `None` for anything else.
    fn buffer_bytes(self, v: Val) -> Option<Bytes> {
        let mut data: *mut c_void = ptr::null_mut();
        if self.is_array_buffer(v) {
            if self.is_detached(v) {
                return Some(Bytes::Detached);
            }
            let mut len = 0usize;
            // SAFETY: a valid env and an ArrayBuffer; out-pointers.
            let ok = unsafe { sys::napi_get_arraybuffer_info(self.0, v.0, &mut data, &mut len) }
                == sys::Status::napi_ok;
            return ok.then(|| Bytes::Here(data.cast(), len));
        }
        let mut buffer = ptr::null_mut();
        let mut offset = 0usize;
        let len = if self.is_typed_array(v) {
            let (mut ty, mut count) = (0, 0usize);
            // SAFETY: a valid env and a typed array; out-pointers.
            let ok = unsafe {
                sys::napi_get_typedarray_info(
                    self.0,
                    v.0,
                    &mut ty,
                    &mut count,
                    &mut data,
                    &mut buffer,
                    &mut offset,
                )
            } == sys::Status::napi_ok;
            if !ok {
                return None;
            }
            count.checked_mul(element_size(ty))?
        } else if self.is_data_view(v) {
            let mut len = 0usize;
            // SAFETY: a valid env and a DataView; out-pointers.
            let ok = unsafe {
                sys::napi_get_dataview_info(
                    self.0,
                    v.0,
                    &mut len,
                    &mut data,
                    &mut buffer,
                    &mut offset,
                )
            } == sys::Status::napi_ok;
            if !ok {
                return None;
            }
            len
        } else {
            return None;
        };
        if buffer.is_null() || self.is_detached(Val(buffer)) {
            return Some(Bytes::Detached);
        }
        if len == 0 || data.is_null() {
            return Some(Bytes::Here(ptr::NonNull::<u8>::dangling().as_ptr(), 0));
        }
        Some(Bytes::Here(data.cast(), len))
    }

    /// Runs `read` on the bytes `v` covers now (an ArrayBuffer's whole, a typed array's
    /// or DataView's window, or `window` of `v` when given), found from internal slots
    /// (no getter runs) and read at once: no JavaScript runs between finding the memory
    /// and the end of `read`, so it can neither move nor shrink meanwhile. `read` must
    /// not call JavaScript; the slice does not outlive it.
    pub(crate) fn with_buffer<R>(
        self,
        v: Val,
        window: Option<(usize, usize)>,
        read: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, wxudp::frontend::ViewError> {
        use wxudp::frontend::ViewError;
        let (start, total) = match self.buffer_bytes(v) {
            Some(Bytes::Here(start, total)) => (start, total),
            Some(Bytes::Detached) => return Err(ViewError::Detached),
            None => return Err(ViewError::NotBuffer),
        };
        let (skip, len) = match window {
            None => (0, total),
            Some((offset, length)) => match offset.checked_add(length) {
                Some(end) if end <= total => (offset, length),
                _ => return Err(ViewError::OutOfRange),
            },
        };
        if len == 0 {
            return Ok(read(&[]));
        }
        // SAFETY: `start..start + total` is the backing store of a live ArrayBuffer (or
        // the window of a view on one), as Node-API reported it just now, and
        // `skip + len` lies within it (checked above). No JavaScript has run since, so
        // nothing detached, resized or freed it; `read` runs no JavaScript either.
        let slice = unsafe { std::slice::from_raw_parts(start.add(skip), len) };
        Ok(read(slice))
    }

    /// Copies `values` to the start of the `Float64Array` `array` (as many as fit); no
    /// JavaScript runs between finding its memory and the copy.
    pub(crate) fn write_f64s(self, array: Val, values: &[f64]) {
        if !self.is_typed_array(array) {
            return;
        }
        let (mut ty, mut count) = (0, 0usize);
        let mut data: *mut c_void = ptr::null_mut();
        let mut buffer = ptr::null_mut();
        let mut offset = 0usize;
        // SAFETY: a valid env and a typed array; out-pointers.
        let ok = unsafe {
            sys::napi_get_typedarray_info(
                self.0,
                array.0,
                &mut ty,
                &mut count,
                &mut data,
                &mut buffer,
                &mut offset,
            )
        } == sys::Status::napi_ok;
        if !ok || ty != sys::TypedarrayType::float64_array || data.is_null() {
            return;
        }
        let n = count.min(values.len());
        // SAFETY: `data` is the live, f64-aligned storage of `count` elements of this
        // Float64Array, as Node-API reported it just now, with no JavaScript run since;
        // `n <= count`.
        unsafe { ptr::copy_nonoverlapping(values.as_ptr(), data.cast::<f64>(), n) };
    }

    /// A new ArrayBuffer holding a copy of `bytes`.
    pub(crate) fn array_buffer(self, bytes: &[u8]) -> Val {
        let mut data: *mut c_void = ptr::null_mut();
        let mut v = ptr::null_mut();
        // SAFETY: a valid env; Node allocates `bytes.len()` bytes and gives their
        // address in `data`, which we fill before any JavaScript can see them.
        unsafe {
            if sys::napi_create_arraybuffer(self.0, bytes.len(), &mut data, &mut v)
                != sys::Status::napi_ok
            {
                return self.undefined();
            }
            if !bytes.is_empty() && !data.is_null() {
                ptr::copy_nonoverlapping(bytes.as_ptr(), data.cast::<u8>(), bytes.len());
            }
        }
        Val(v)
    }

    /// `v instanceof ctor`, for a constructor the loader passed (no user code runs for
    /// a plain function).
    pub(crate) fn instance_of(self, v: Val, ctor: Val) -> bool {
        let mut b = false;
        // SAFETY: a valid env and values; out-pointer.
        let ok =
            unsafe { sys::napi_instanceof(self.0, v.0, ctor.0, &mut b) } == sys::Status::napi_ok;
        if !ok {
            self.clear_exception();
        }
        ok && b
    }

    /// Copies `bytes` into the ArrayBuffer `buffer` (as many as fit), which the loader
    /// just made; no JavaScript runs between finding its memory and the copy.
    pub(crate) fn copy_into(self, buffer: Val, bytes: &[u8]) {
        if let Some(Bytes::Here(start, len)) = self.buffer_bytes(buffer) {
            let n = len.min(bytes.len());
            if n > 0 {
                // SAFETY: `start..start + len` is the live backing store of `buffer`, as
                // Node-API reported it just now, with no JavaScript run since; `n <= len`.
                unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), start.cast_mut(), n) };
            }
        }
    }

    pub(crate) fn str(self, s: &str) -> Val {
        let mut v = ptr::null_mut();
        // SAFETY: a valid env; `s` is UTF-8 of the given length.
        unsafe {
            sys::napi_create_string_utf8(self.0, s.as_ptr().cast(), s.len() as isize, &mut v)
        };
        Val(v)
    }

    pub(crate) fn num(self, n: f64) -> Val {
        let mut v = ptr::null_mut();
        // SAFETY: a valid env; out-pointer.
        unsafe { sys::napi_create_double(self.0, n, &mut v) };
        Val(v)
    }

    pub(crate) fn array(self) -> Val {
        let mut v = ptr::null_mut();
        // SAFETY: a valid env; out-pointer.
        unsafe { sys::napi_create_array(self.0, &mut v) };
        Val(v)
    }

    /// `arr[i] = v` on an array this addon made or was given; runs no user code on a
    /// plain array.
    pub(crate) fn set(self, arr: Val, i: u32, v: Val) {
        // SAFETY: a valid env and values.
        unsafe { sys::napi_set_element(self.0, arr.0, i, v.0) };
    }
}

impl Val {
    pub(crate) fn from_unknown(v: &napi::Unknown<'_>) -> Self {
        use napi::JsValue;
        Val(v.raw())
    }
}

/// Bytes per element of a typed array type (Node-API's numbering).
fn element_size(ty: sys::napi_typedarray_type) -> usize {
    use sys::TypedarrayType as T;
    match ty {
        T::int8_array | T::uint8_array | T::uint8_clamped_array => 1,
        T::int16_array | T::uint16_array => 2,
        T::int32_array | T::uint32_array | T::float32_array => 4,
        T::float64_array | 9 | 10 => 8,
        // Float16Array (11) in newer Node versions.
        _ => 2,
    }
}
