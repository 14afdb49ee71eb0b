#![allow(non_upper_case_globals)]
#![allow(non_camel_case_types)]
#![allow(non_snake_case)]
#![allow(clippy::unreadable_literal)]
#![allow(clippy::missing_safety_doc)]
#![allow(clippy::upper_case_acronyms)]
#![allow(clippy::uninlined_format_args)]
#![no_std]

use ::core::ptr;

/// Common error message for converting between C `size_t` and Rust `usize`;
pub const SIZE_T_ERROR: &str =
    "conversion between C type 'size_t' and Rust type 'usize' overflowed.";

include!(concat!(env!("OUT_DIR"), "/bindings.rs"));

#[cfg(not(feature = "bindgen"))]
include!(concat!("bindings/", bindings_env!("TARGET"), ".rs"));

#[cfg(target_pointer_width = "64")]
include!("inlines/ptr_64.rs");

#[cfg(target_pointer_width = "32")]
include!("inlines/ptr_32_nan_boxing.rs");

include!("inlines/common.rs");

// wxudp's patch (WXUDP-PATCH.md): declared here rather than in the generated bindings,
// so that every target's pregenerated bindings stay as upstream ships them.
extern "C" {
    /// A plain object with the shape of `like` and `values` as its property values,
    /// in the shape's order; takes ownership of `values`. Fails (a TypeError, and
    /// `JS_EXCEPTION`) unless `like` is a plain object of `count` (at most 16) plain data
    /// properties whose shape is shared.
    pub fn JS_NewObjectLike(
        ctx: *mut JSContext,
        like: JSValue,
        count: core::ffi::c_int,
        values: *mut JSValue,
    ) -> JSValue;
}
