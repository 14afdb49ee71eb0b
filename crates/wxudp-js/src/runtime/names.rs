//! What the hot paths reuse from one call to the next, kept as the runtime's user data:
//! the property names they read and write, as interned atoms (a `&str` key costs a hash
//! lookup of the atom table on every access); the strings of the last addresses a
//! message came from and to; and template objects whose only job is to keep QuickJS's
//! shapes for the result objects alive between events (a shape dies with the last
//! object that uses it, and every event would build it again).

use std::cell::RefCell;
use std::net::IpAddr;

use rquickjs::runtime::UserDataGuard;
use rquickjs::{qjs, Atom, Ctx, IntoAtom, JsLifetime, Object, Value};

/// The names and strings the send and receive paths use.
pub(crate) struct Names<'js> {
    pub(crate) address: Atom<'js>,
    pub(crate) port: Atom<'js>,
    pub(crate) message: Atom<'js>,
    pub(crate) offset: Atom<'js>,
    pub(crate) length: Atom<'js>,
    pub(crate) set_broadcast: Atom<'js>,
    pub(crate) buffer: Atom<'js>,
    pub(crate) byte_offset: Atom<'js>,
    pub(crate) byte_length: Atom<'js>,
    pub(crate) family: Atom<'js>,
    pub(crate) size: Atom<'js>,
    pub(crate) remote_info: Atom<'js>,
    pub(crate) local_info: Atom<'js>,
    /// The numbers of the result objects' names, for [`define`]; valid while the atoms
    /// above hold them.
    pub(crate) raw: RawNames,
    ipv4: rquickjs::String<'js>,
    ipv6: rquickjs::String<'js>,
    /// The last remote and local addresses turned into strings, with their strings.
    remote: RefCell<Option<(IpAddr, rquickjs::String<'js>)>>,
    local: RefCell<Option<(IpAddr, rquickjs::String<'js>)>>,
    /// Never handed to a script: they keep the shapes of message results alive, every
    /// step of them (see [`Names::new`]).
    _shapes: Vec<Object<'js>>,
    /// The templates a message's objects are made like ([`new_like`]): `remoteInfo`
    /// (`address`, `family`, `port`, `size`), `localInfo` (the first three) and the
    /// result (`message`, `remoteInfo`, `localInfo`).
    pub(crate) remote_template: Object<'js>,
    pub(crate) local_template: Object<'js>,
    pub(crate) result_template: Object<'js>,
    /// The prelude's private symbol under which a `UDPSocket` keeps its handle.
    pub(crate) socket_key: RefCell<Option<Atom<'js>>>,
    /// The last destination string a send was given, and its text.
    last_address: RefCell<Option<(rquickjs::String<'js>, String)>>,
}

// SAFETY: `Names<'js>` holds JavaScript values (atoms, strings, objects) only through
// its one lifetime `'js`, and `Changed<'to>` is the same type with `'js` replaced by
// `'to`: the form rquickjs documents for a correct implementation. As user data it is
// dropped when the runtime is, before QuickJS frees the runtime.
#[allow(unsafe_code)]
unsafe impl<'js> JsLifetime<'js> for Names<'js> {
    type Changed<'to> = Names<'to>;
}

impl<'js> Names<'js> {
    fn new(ctx: &Ctx<'js>) -> rquickjs::Result<Self> {
        let atom = |name: &str| Atom::from_str(ctx.clone(), name);
        let names = Names {
            address: atom("address")?,
            port: atom("port")?,
            message: atom("message")?,
            offset: atom("offset")?,
            length: atom("length")?,
            set_broadcast: atom("setBroadcast")?,
            buffer: atom("buffer")?,
            byte_offset: atom("byteOffset")?,
            byte_length: atom("byteLength")?,
            family: atom("family")?,
            size: atom("size")?,
            remote_info: atom("remoteInfo")?,
            local_info: atom("localInfo")?,
            ipv4: rquickjs::String::from_str(ctx.clone(), "IPv4")?,
            ipv6: rquickjs::String::from_str(ctx.clone(), "IPv6")?,
            remote: RefCell::new(None),
            local: RefCell::new(None),
            raw: RawNames::default(),
            _shapes: Vec::new(),
            remote_template: Object::new(ctx.clone())?,
            local_template: Object::new(ctx.clone())?,
            result_template: Object::new(ctx.clone())?,
            socket_key: RefCell::new(None),
            last_address: RefCell::new(None),
        };
        // The same properties in the same order as `event_payload` defines them, and
        // every prefix of each list: QuickJS finds the shape an object moves to when it
        // gets a property only while an object has that shape. With the final shapes
        // alone, each result object made its first shapes again (a clone and two new
        // shapes per object, three objects per datagram). The empty one too: a new
        // object takes it.
        let mut names = names;
        let raw = RawNames {
            address: raw_atom(ctx, &names.address)?,
            family: raw_atom(ctx, &names.family)?,
            port: raw_atom(ctx, &names.port)?,
            size: raw_atom(ctx, &names.size)?,
            message: raw_atom(ctx, &names.message)?,
            remote_info: raw_atom(ctx, &names.remote_info)?,
            local_info: raw_atom(ctx, &names.local_info)?,
            offset: raw_atom(ctx, &names.offset)?,
            length: raw_atom(ctx, &names.length)?,
            set_broadcast: raw_atom(ctx, &names.set_broadcast)?,
            byte_length: raw_atom(ctx, &names.byte_length)?,
        };
        names.raw = raw;
        let (offset, length, set_broadcast) = (raw.offset, raw.length, raw.set_broadcast);
        let remote = [raw.address, raw.family, raw.port, raw.size];
        let result = [raw.message, raw.remote_info, raw.local_info];
        // The option objects of `send` as WeChat's documentation writes them,
        // `{address, port, message}` (then `offset` and `length`, or `setBroadcast`),
        // and `write({message})` (the first step of the results): the script's object literal finds its shapes too
        // (every send made two new shapes and resized the object's property array, as
        // the previous option object had died with the shapes). Other orders work as
        // before, at the old cost.
        let send = [raw.address, raw.port, raw.message, offset, length];
        let broadcast = [raw.address, raw.port, raw.message, set_broadcast];
        let mut shapes = vec![Object::new(ctx.clone())?];
        for list in [&remote[..], &result[..], &send[..], &broadcast[..]] {
            for len in 1..=list.len() {
                let template = Object::new(ctx.clone())?;
                for &name in &list[..len] {
                    define(&template, name, Value::new_undefined(ctx.clone()))?;
                }
                shapes.push(template);
            }
        }
        // The last of each list's prefixes is that list's final shape.
        names.remote_template = shapes[remote.len()].clone();
        names.local_template = shapes[remote.len() - 1].clone();
        names.result_template = shapes[remote.len() + result.len()].clone();
        names._shapes = shapes;
        Ok(names)
    }

    /// `"IPv4"` or `"IPv6"`, the family of `ip` as WeChat names it
    /// ([`wxudp::family_name`]: an IPv4-mapped address is IPv6).
    pub(crate) fn family_of(&self, ip: &IpAddr) -> rquickjs::String<'js> {
        match ip {
            IpAddr::V4(_) => self.ipv4.clone(),
            IpAddr::V6(_) => self.ipv6.clone(),
        }
    }

    /// Calls `f` with the text of `address`, converted by `convert` unless `address` is
    /// the very string (strings are immutable) the last call had. `f` must not run
    /// JavaScript; if it did and came back here, that call converts for itself.
    pub(crate) fn with_address_text<R>(
        &self,
        address: &rquickjs::String<'js>,
        convert: impl Fn(&rquickjs::String<'js>) -> String,
        f: impl FnOnce(&str) -> R,
    ) -> R {
        let Ok(mut last) = self.last_address.try_borrow_mut() else {
            return f(&convert(address));
        };
        let same = matches!(&*last, Some((s, _)) if s.as_value() == address.as_value());
        if !same {
            *last = Some((address.clone(), convert(address)));
        }
        match &*last {
            Some((_, text)) => f(text),
            None => f(&convert(address)),
        }
    }

    /// `ip` as a string, made again only when it differs from the last remote address.
    pub(crate) fn remote_address(
        &self,
        ctx: &Ctx<'js>,
        ip: IpAddr,
    ) -> rquickjs::Result<rquickjs::String<'js>> {
        cached(&self.remote, ctx, ip)
    }

    /// `ip` as a string, made again only when it differs from the last local address.
    pub(crate) fn local_address(
        &self,
        ctx: &Ctx<'js>,
        ip: IpAddr,
    ) -> rquickjs::Result<rquickjs::String<'js>> {
        cached(&self.local, ctx, ip)
    }
}

/// The atom numbers of the names [`define`] gives result objects, and of those the send
/// path reads ([`Key::Raw`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawNames {
    pub(crate) address: qjs::JSAtom,
    pub(crate) family: qjs::JSAtom,
    pub(crate) port: qjs::JSAtom,
    pub(crate) size: qjs::JSAtom,
    pub(crate) message: qjs::JSAtom,
    pub(crate) remote_info: qjs::JSAtom,
    pub(crate) local_info: qjs::JSAtom,
    pub(crate) offset: qjs::JSAtom,
    pub(crate) length: qjs::JSAtom,
    pub(crate) set_broadcast: qjs::JSAtom,
    pub(crate) byte_length: qjs::JSAtom,
}

/// The number of `atom`, valid for as long as `atom` (or another reference to the same
/// atom) lives.
fn raw_atom<'js>(ctx: &Ctx<'js>, atom: &Atom<'js>) -> rquickjs::Result<qjs::JSAtom> {
    let name = atom.to_value()?;
    // SAFETY: `name` is a live string of this context. `JS_ValueToAtom` returns a new
    // reference to the atom of that string, the very atom `atom` holds (atoms are
    // interned); it is released at once, and `atom` keeps the number valid.
    #[allow(unsafe_code)]
    unsafe {
        let raw = qjs::JS_ValueToAtom(ctx.as_raw().as_ptr(), name.as_raw());
        if raw == qjs::JS_ATOM_NULL {
            return Err(rquickjs::Error::Exception);
        }
        qjs::JS_FreeAtom(ctx.as_raw().as_ptr(), raw);
        Ok(raw)
    }
}

/// Gives `obj` the property `name` (a number from [`RawNames`]) with `value`, as an
/// object literal does (writable, enumerable, configurable): defined, not set, so no
/// setter on `Object.prototype` runs and the prototype chain is not searched. Directly
/// through QuickJS: rquickjs' `Object::prop` made three values and their context
/// references for each property, which cost more than QuickJS's own work.
pub(crate) fn define<'js>(
    obj: &Object<'js>,
    name: qjs::JSAtom,
    value: Value<'js>,
) -> rquickjs::Result<()> {
    let ctx = obj.ctx().as_raw().as_ptr();
    // SAFETY: `obj` and `value` are live values of the context `ctx`, which `obj`
    // holds a reference to. `JS_DefinePropertyValue` takes ownership of the value it is
    // given, so it gets a reference of its own (`JS_DupValue`); `value` drops ours.
    // `name` is an atom kept alive by `Names` (see `raw_atom`) for the runtime's life.
    // No JavaScript runs: a data property defined on a plain object calls no setter.
    #[allow(unsafe_code)]
    let done = unsafe {
        qjs::JS_DefinePropertyValue(
            ctx,
            obj.as_raw(),
            name,
            qjs::JS_DupValue(ctx, value.as_raw()),
            qjs::JS_PROP_C_W_E as i32,
        )
    };
    if done < 0 {
        return Err(rquickjs::Error::Exception);
    }
    Ok(())
}

/// A new plain object with the shape of `template` (one of the templates of [`Names`])
/// and `values` as its properties, in the template's order, made at once by QuickJS's
/// `JS_NewObjectLike` (vendor/rquickjs-sys/WXUDP-PATCH.md): one allocation, no property
/// lookups, no shape search. The object is what [`define`]-ing each value in turn would
/// have made.
pub(crate) fn new_like<'js, const N: usize>(
    template: &Object<'js>,
    values: [Value<'js>; N],
) -> rquickjs::Result<Object<'js>> {
    let ctx = template.ctx();
    let raw_ctx = ctx.as_raw().as_ptr();
    // SAFETY: every value is a live value of this context; `JS_NewObjectLike` takes
    // ownership of the references it is given, so each gets one of its own
    // (`JS_DupValue`), and ours drop with `values`. It checks that `template` is a plain
    // object of exactly N plain data properties with a shared shape (else it frees the
    // references and fails with a TypeError); it runs no JavaScript. The result is a
    // new reference that `Value::from_raw` takes over.
    #[allow(unsafe_code)]
    let made = unsafe {
        let mut raw = values
            .each_ref()
            .map(|v| qjs::JS_DupValue(raw_ctx, v.as_raw()));
        let count = i32::try_from(N).map_err(|_| rquickjs::Error::Unknown)?;
        let made = qjs::JS_NewObjectLike(raw_ctx, template.as_raw(), count, raw.as_mut_ptr());
        Value::from_raw(ctx.clone(), made)
    };
    if made.is_exception() {
        return Err(rquickjs::Error::Exception);
    }
    made.into_object().ok_or(rquickjs::Error::Unknown)
}

fn cached<'js>(
    slot: &RefCell<Option<(IpAddr, rquickjs::String<'js>)>>,
    ctx: &Ctx<'js>,
    ip: IpAddr,
) -> rquickjs::Result<rquickjs::String<'js>> {
    if let Some((last, s)) = &*slot.borrow() {
        if *last == ip {
            return Ok(s.clone());
        }
    }
    let s = rquickjs::String::from_str(ctx.clone(), &ip.to_string())?;
    *slot.borrow_mut() = Some((ip, s.clone()));
    Ok(s)
}

/// The run's [`Names`], made the first time they are asked for (the runtime makes them
/// when it installs the natives, while no other user data is borrowed).
pub(crate) fn names<'a, 'js>(ctx: &'a Ctx<'js>) -> rquickjs::Result<UserDataGuard<'a, Names<'js>>> {
    if let Some(names) = ctx.userdata::<Names<'js>>() {
        return Ok(names);
    }
    let made = Names::new(ctx)?;
    // Nobody holds the user data yet (it did not exist), so storing cannot collide.
    if ctx.store_userdata(made).is_err() {
        return Err(rquickjs::Error::Unknown);
    }
    ctx.userdata::<Names<'js>>().ok_or(rquickjs::Error::Unknown)
}

/// A property name: an interned atom when [`names`] could be had, its text otherwise.
pub(crate) enum Key<'js> {
    Atom(Atom<'js>),
    Text(&'static str),
    /// An atom number from [`RawNames`] (valid while the run's `Names` live), and its
    /// text.
    Raw(qjs::JSAtom, &'static str),
}

impl<'js> IntoAtom<'js> for Key<'js> {
    fn into_atom(self, ctx: &Ctx<'js>) -> rquickjs::Result<Atom<'js>> {
        match self {
            Key::Atom(atom) => Ok(atom),
            Key::Text(text) | Key::Raw(_, text) => text.into_atom(ctx),
        }
    }
}

/// The key `text`, as the atom `pick` chooses from `names` when there are names.
pub(crate) fn key<'js>(
    names: Option<&Names<'js>>,
    pick: for<'n> fn(&'n Names<'js>) -> &'n Atom<'js>,
    text: &'static str,
) -> Key<'js> {
    match names {
        Some(names) => Key::Atom(pick(names).clone()),
        None => Key::Text(text),
    }
}

/// The key `text`, as the atom number `pick` chooses from `names` when there are names.
pub(crate) fn raw_key<'js>(
    names: Option<&Names<'js>>,
    pick: fn(&RawNames) -> qjs::JSAtom,
    text: &'static str,
) -> Key<'js> {
    match names {
        Some(names) => Key::Raw(pick(&names.raw), text),
        None => Key::Text(text),
    }
}
