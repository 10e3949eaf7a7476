//! Checking the handler function and reading its parameters.
//!
//! Every problem is recorded, not just the first, and the function is kept usable for the
//! fallback output (the `#[opts]` markers are removed up front, since the compiler would
//! reject them as unknown attributes).

use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::token::Comma;
use syn::{Attribute, FnArg, Ident, ItemFn, Pat, PatType, ReturnType, Signature, Type};

use crate::errors::Errors;
use crate::name::is_valid_segment;

/// The marker of the parameter that receives the leftover options.
const OPTS_MARKER: &str = "opts";

/// A handler function, read and checked.
pub(crate) struct Handler {
    /// The function as written, minus its `#[opts]` markers.
    pub(crate) func: ItemFn,
    /// The type of the first parameter, which receives the `SignalContext`.
    pub(crate) context: Option<Type>,
    /// The parameters after the context, in order.
    pub(crate) params: Vec<Param>,
}

/// One parameter after the context.
pub(crate) enum Param {
    /// An argument decoded from the option of the same name.
    Named {
        /// The option's key: the parameter's name without `r#`.
        key: String,
        /// The type it is decoded into.
        ty: Type,
    },
    /// The `#[opts]` parameter: every option no named parameter took.
    Rest {
        /// Its type (the compiler checks it is `Opts`).
        ty: Type,
    },
}

impl Handler {
    /// Reads `func`, recording every problem in `errors`.
    pub(crate) fn read(mut func: ItemFn, errors: &mut Errors) -> Handler {
        check_signature(&func.sig, errors);
        let rest = take_opts_markers(&mut func.sig.inputs, errors);
        let mut inputs = func.sig.inputs.iter().zip(rest);
        let context = match inputs.next() {
            Some((input, is_rest)) => context_param(input, is_rest, errors),
            None => {
                errors.at(
                    func.sig.paren_token.span.join(),
                    "the first parameter of a #[signal] handler must be its `SignalContext`",
                );
                None
            }
        };
        let params = inputs
            .filter_map(|(input, is_rest)| param(input, is_rest, errors))
            .collect();
        Handler {
            func,
            context,
            params,
        }
    }

    /// The function's name, which becomes the handler's unit struct.
    pub(crate) fn ident(&self) -> &Ident {
        &self.func.sig.ident
    }

    /// The function's name without `r#`, as used in signal names and Rust paths.
    pub(crate) fn name(&self) -> String {
        self.ident().unraw().to_string()
    }

    /// Whether a parameter is `#[opts]`, so that leftover options are not refused.
    pub(crate) fn has_rest(&self) -> bool {
        self.params.iter().any(|p| matches!(p, Param::Rest { .. }))
    }

    /// The declared return type, if any, for error spans.
    pub(crate) fn output(&self) -> Option<&Type> {
        match &self.func.sig.output {
            ReturnType::Type(_, ty) => Some(ty),
            ReturnType::Default => None,
        }
    }

    /// Records an error when the function's name cannot serve as the last segment of its
    /// default signal name (only when no `path` is given).
    pub(crate) fn check_default_name(&self, errors: &mut Errors) {
        if !is_valid_segment(&self.name()) {
            errors.spanned(
                self.ident(),
                "this name cannot end a signal name (`[_A-Za-z][_A-Za-z0-9]*`); \
                 set the signal name with `#[signal(path = \"...\")]`",
            );
        }
    }
}

/// Records what makes the signature unusable as a handler, apart from its parameters.
fn check_signature(sig: &Signature, errors: &mut Errors) {
    if sig.asyncness.is_none() {
        errors.spanned(sig.fn_token, "#[signal] handlers must be `async fn`");
    }
    if let Some(unsafety) = sig.unsafety {
        errors.spanned(unsafety, "#[signal] handlers cannot be `unsafe`");
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(abi, "#[signal] handlers cannot declare an ABI");
    }
    if !sig.generics.params.is_empty() {
        errors.spanned(
            &sig.generics,
            "#[signal] handlers cannot be generic: each argument is decoded into one concrete type",
        );
    }
    if let Some(clause) = &sig.generics.where_clause {
        errors.spanned(clause, "#[signal] handlers cannot have a `where` clause");
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic, "#[signal] handlers cannot be variadic");
    }
}

/// Removes the `#[opts]` markers from the parameters, recording misuse, and tells for each
/// parameter whether it was marked.
fn take_opts_markers(inputs: &mut Punctuated<FnArg, Comma>, errors: &mut Errors) -> Vec<bool> {
    let mut seen = false;
    let mut marked = Vec::with_capacity(inputs.len());
    for input in inputs.iter_mut() {
        let FnArg::Typed(typed) = input else {
            marked.push(false);
            continue;
        };
        let markers = take_markers(&mut typed.attrs);
        for extra in markers.iter().skip(usize::from(!seen)) {
            errors.spanned(
                extra,
                "only one parameter can be `#[opts]`: it receives every option that no named \
                 parameter takes",
            );
        }
        for marker in &markers {
            if marker.meta.require_path_only().is_err() {
                errors.spanned(&marker.meta, "`#[opts]` takes no arguments");
            }
        }
        seen |= !markers.is_empty();
        marked.push(!markers.is_empty());
    }
    marked
}

/// Removes the `#[opts]` attributes from `attrs` and returns them.
fn take_markers(attrs: &mut Vec<Attribute>) -> Vec<Attribute> {
    let (markers, others) = attrs
        .drain(..)
        .partition(|attr| attr.path().is_ident(OPTS_MARKER));
    *attrs = others;
    markers
}

/// Reads the first parameter, which receives the context, and returns its type.
fn context_param(input: &FnArg, is_rest: bool, errors: &mut Errors) -> Option<Type> {
    let typed = typed_param(input, errors)?;
    if is_rest {
        errors.spanned(
            typed,
            "the first parameter of a #[signal] handler is its `SignalContext`; \
             it cannot be `#[opts]`",
        );
    }
    Some((*typed.ty).clone())
}

/// Reads a parameter after the context.
fn param(input: &FnArg, is_rest: bool, errors: &mut Errors) -> Option<Param> {
    let typed = typed_param(input, errors)?;
    check_param_attrs(&typed.attrs, errors);
    let ty = (*typed.ty).clone();
    if is_rest {
        return Some(Param::Rest { ty });
    }
    check_param_type(&ty, errors);
    let key = param_key(&typed.pat, errors)?;
    Some(Param::Named { key, ty })
}

/// The parameter, or an error for `self`.
fn typed_param<'a>(input: &'a FnArg, errors: &mut Errors) -> Option<&'a PatType> {
    match input {
        FnArg::Typed(typed) => Some(typed),
        FnArg::Receiver(receiver) => {
            errors.spanned(
                receiver,
                "#[signal] handlers are free functions: they cannot take `self`",
            );
            None
        }
    }
}

/// Records `#[cfg]` on a parameter: the generated call would not follow it.
fn check_param_attrs(attrs: &[Attribute], errors: &mut Errors) {
    for attr in attrs {
        if attr.path().is_ident("cfg") || attr.path().is_ident("cfg_attr") {
            errors.spanned(attr, "#[signal] handler parameters cannot be conditional");
        }
    }
}

/// Records argument types that cannot be decoded from a call's options.
fn check_param_type(ty: &Type, errors: &mut Errors) {
    match ty {
        Type::Reference(_) => errors.spanned(
            ty,
            "#[signal] arguments are decoded from JSON and must be owned: \
             use `String` for `&str`, `Vec<T>` for `&[T]`",
        ),
        Type::ImplTrait(_) => errors.spanned(
            ty,
            "#[signal] arguments need a concrete type to be decoded into, not `impl Trait`",
        ),
        _ => {}
    }
}

/// The option key of a named parameter: its name without `r#`.
fn param_key(pat: &Pat, errors: &mut Errors) -> Option<String> {
    match pat {
        Pat::Ident(binding) if binding.by_ref.is_none() && binding.subpat.is_none() => {
            Some(binding.ident.unraw().to_string())
        }
        _ => {
            errors.spanned(
                pat,
                "#[signal] handler parameters must be plain names, because the name is the \
                 argument's key in the call's options (destructure inside the function)",
            );
            None
        }
    }
}
