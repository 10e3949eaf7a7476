//! The attribute's arguments: `#[signal(path = "..", allowed = .., queue = "..", timeout_ms = N)]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{Expr, ExprLit, Lit, LitInt, LitStr, Token};

use crate::name::{is_valid_signal_name, SIGNAL_NAME_RULE};

/// The keys `#[signal(..)]` accepts, for error messages.
const KEYS: &str = "`path`, `allowed`, `queue` or `timeout_ms`";

/// The arguments of one `#[signal(..)]`, each `None` when not given. Values are checked.
#[derive(Default)]
pub(crate) struct SignalArgs {
    /// `path = "chat.send"`: the signal name, a valid one.
    pub(crate) path: Option<LitStr>,
    /// `allowed = <expr>`: who may call the handler from a browser.
    pub(crate) allowed: Option<Expr>,
    /// `queue = "name"`: the handler queue, not empty.
    pub(crate) queue: Option<LitStr>,
    /// `timeout_ms = N`: the time limit in milliseconds, at least 1.
    pub(crate) timeout_ms: Option<u64>,
}

impl SignalArgs {
    /// Parses the attribute's tokens (none for a bare `#[signal]`), stopping at the first error.
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<SignalArgs> {
        let mut args = SignalArgs::default();
        syn::meta::parser(|meta| args.parse_one(&meta)).parse2(tokens)?;
        Ok(args)
    }

    /// Parses one `key = value` pair into its slot.
    fn parse_one(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = meta.path.get_ident().map(ToString::to_string);
        match key.as_deref() {
            Some("path") => fill(&mut self.path, "path", meta, signal_name),
            Some("allowed") => fill(&mut self.allowed, "allowed", meta, Ok),
            Some("queue") => fill(&mut self.queue, "queue", meta, queue_name),
            Some("timeout_ms") => fill(&mut self.timeout_ms, "timeout_ms", meta, milliseconds),
            _ => Err(syn::Error::new_spanned(
                &meta.path,
                format!("unknown #[signal] argument; expected {KEYS}"),
            )),
        }
    }
}

/// Parses the value of `key` with `check` into `slot`, refusing a second value.
fn fill<T>(
    slot: &mut Option<T>,
    key: &str,
    meta: &ParseNestedMeta,
    check: fn(Expr) -> syn::Result<T>,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("duplicate #[signal] argument `{key}`")));
    }
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format!("`{key}` needs a value: `{key} = ..`")));
    }
    let value: Expr = meta.value()?.parse()?;
    *slot = Some(check(value)?);
    Ok(())
}

/// `path`: a string literal holding a valid signal name.
fn signal_name(value: Expr) -> syn::Result<LitStr> {
    let path = string_literal(value, "path", "path = \"chat.send\"")?;
    if is_valid_signal_name(&path.value()) {
        Ok(path)
    } else {
        Err(syn::Error::new_spanned(
            &path,
            format!("invalid signal name: {SIGNAL_NAME_RULE}"),
        ))
    }
}

/// `queue`: a non-empty string literal.
fn queue_name(value: Expr) -> syn::Result<LitStr> {
    let queue = string_literal(value, "queue", "queue = \"default\"")?;
    if queue.value().is_empty() {
        Err(syn::Error::new_spanned(
            &queue,
            "the queue name cannot be empty; leave `queue` out to use the \"default\" queue",
        ))
    } else {
        Ok(queue)
    }
}

/// `timeout_ms`: a positive integer literal without suffix.
fn milliseconds(value: Expr) -> syn::Result<u64> {
    let wrong = |tokens: &dyn quote::ToTokens| {
        syn::Error::new_spanned(
            tokens,
            "`timeout_ms` must be a positive integer literal of milliseconds, \
             such as `timeout_ms = 5000`",
        )
    };
    let literal: LitInt = match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(literal),
            ..
        }) if literal.suffix().is_empty() => literal,
        other => return Err(wrong(&other)),
    };
    match literal.base10_parse::<u64>() {
        Ok(0) | Err(_) => Err(wrong(&literal)),
        Ok(ms) => Ok(ms),
    }
}

/// A string literal, or an error that shows `example`.
fn string_literal(value: Expr, key: &str, example: &str) -> syn::Result<LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(literal),
            ..
        }) => Ok(literal),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` must be a string literal, such as `{example}`"),
        )),
    }
}
