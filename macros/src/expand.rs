//! Code generation: the unit struct, its `SignalHandler` impl, and the renamed function.
//!
//! Generated locals use [`Span::mixed_site`], so they never clash with the user's names (a
//! parameter called `opts`, or a unit struct of another handler). Calls that the compiler may
//! reject for a user's type are spanned on that type, so its error points at the user's code.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, ItemFn, Visibility};

use crate::args::SignalArgs;
use crate::errors::Errors;
use crate::handler::{Handler, Param};

/// The queue of handlers that name none.
const DEFAULT_QUEUE: &str = "default";

/// Expands `#[signal(attr)] item`.
///
/// On errors, emits them together with the function as written (minus `#[opts]` markers), so
/// that the rest of the crate still resolves the name and the user sees only the real problems.
pub(crate) fn signal(attr: TokenStream, item: TokenStream) -> TokenStream {
    let Ok(func) = syn::parse2::<ItemFn>(item.clone()) else {
        let error = syn::Error::new_spanned(&item, "#[signal] applies to `async fn` handlers");
        return fallback(&error, item);
    };
    let mut errors = Errors::default();
    let args = errors.ok(SignalArgs::parse(attr));
    let handler = Handler::read(func, &mut errors);
    if args.as_ref().is_some_and(|args| args.path.is_none()) {
        handler.check_default_name(&mut errors);
    }
    match (errors.finish(), args) {
        (Ok(()), Some(args)) => generate(&args, &handler),
        (Err(error), _) => fallback(&error, handler.func.into_token_stream()),
        (Ok(()), None) => unreachable!("an attribute that fails to parse records an error"),
    }
}

/// The errors, followed by the item unchanged.
fn fallback(error: &syn::Error, item: TokenStream) -> TokenStream {
    let mut tokens = error.to_compile_error();
    tokens.extend(item);
    tokens
}

/// The expansion of a valid handler.
fn generate(args: &SignalArgs, handler: &Handler) -> TokenStream {
    let ident = handler.ident();
    let vis = &handler.func.vis;
    let docs = attrs_named(&handler.func.attrs, "doc");
    let cfgs: Vec<&Attribute> = attrs_named(&handler.func.attrs, "cfg").collect();
    let hidden = hidden_ident(handler);
    let spec = spec(args, handler);
    let call = call(handler, &hidden);
    let func = hidden_fn(&handler.func, hidden);
    quote! {
        #(#cfgs)*
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
        #vis struct #ident;

        #(#cfgs)*
        impl ::switchboard::__private::SignalHandler for #ident {
            fn spec(&self) -> ::switchboard::__private::HandlerSpec {
                #spec
            }

            #call
        }

        #func
    }
}

/// The attributes among `attrs` whose path is `name`.
fn attrs_named<'a>(attrs: &'a [Attribute], name: &'a str) -> impl Iterator<Item = &'a Attribute> {
    attrs.iter().filter(move |attr| attr.path().is_ident(name))
}

/// The name the function is kept under: `__switchboard_signal_<name>`, spanned on the name.
fn hidden_ident(handler: &Handler) -> Ident {
    format_ident!("__switchboard_signal_{}", handler.ident())
}

/// The user's function, renamed, private and hidden, without its doc comments (they go to
/// the struct) but with every other attribute.
fn hidden_fn(func: &ItemFn, hidden: Ident) -> ItemFn {
    let mut func = func.clone();
    func.attrs.retain(|attr| !attr.path().is_ident("doc"));
    func.attrs.insert(0, syn::parse_quote!(#[doc(hidden)]));
    func.vis = Visibility::Inherited;
    func.sig.ident = hidden;
    func
}

/// The body of `SignalHandler::spec`.
fn spec(args: &SignalArgs, handler: &Handler) -> TokenStream {
    let name = handler.name();
    let path = match &args.path {
        Some(path) => quote!(::std::string::String::from(#path)),
        None => quote!(::switchboard::__private::default_path(::core::module_path!(), #name)),
    };
    let allowed = allowed(args);
    let queue = args
        .queue
        .as_ref()
        .map_or_else(|| DEFAULT_QUEUE.to_owned(), |queue| queue.value());
    let timeout = match args.timeout_ms {
        Some(ms) => {
            let ms = Literal::u64_unsuffixed(ms);
            quote!(::core::option::Option::Some(
                ::switchboard::__private::Duration::from_millis(#ms)
            ))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::switchboard::__private::HandlerSpec {
            path: #path,
            name: ::core::concat!(::core::module_path!(), "::", #name),
            allowed: #allowed,
            queue: ::std::string::String::from(#queue),
            timeout: #timeout,
        }
    }
}

/// The `allowed` of the spec: server-only, or the user's check with the predefined checks of
/// `switchboard::allowed` in scope.
fn allowed(args: &SignalArgs) -> TokenStream {
    let Some(check) = &args.allowed else {
        return quote!(::switchboard::__private::Allowed::ServerOnly);
    };
    quote_spanned! {check.span()=>
        ::switchboard::__private::Allowed::browser({
            #[allow(unused_imports)]
            use ::switchboard::__private::allowed::*;
            #check
        })
    }
}

/// `SignalHandler::call`: decodes the options into the arguments, then awaits the function.
fn call(handler: &Handler, hidden: &Ident) -> TokenStream {
    let opts = local("opts", Span::call_site());
    let mut decode = Vec::new();
    let mut args = vec![context_arg(handler)];
    for (index, param) in handler.params.iter().enumerate() {
        match param {
            Param::Named { key, ty } => {
                let arg = local(&format!("arg{index}"), ty.span());
                decode.push(quote_spanned! {ty.span()=>
                    let #arg = ::switchboard::__private::arg::<#ty>(&mut #opts, #key)?;
                });
                args.push(arg);
            }
            Param::Rest { ty } => args.push(local("opts", ty.span())),
        }
    }
    let no_extra =
        (!handler.has_rest()).then(|| quote!(::switchboard::__private::no_extra(&#opts)?;));
    let mutability = (!decode.is_empty()).then(|| quote!(mut));
    let ctx = local("ctx", Span::call_site());
    let result = result(handler, hidden, &args);
    quote! {
        fn call(
            &self,
            #ctx: ::switchboard::__private::SignalContext,
            #mutability #opts: ::switchboard::__private::Opts,
        ) -> ::switchboard::__private::HandlerFuture {
            ::switchboard::__private::Box::pin(async move {
                #(#decode)*
                #no_extra
                #result
            })
        }
    }
}

/// The call of the function and the conversion of its result. The awaited future is spanned
/// on the declared return type, so that a wrong one is reported there.
fn result(handler: &Handler, hidden: &Ident, args: &[Ident]) -> TokenStream {
    let span = handler
        .output()
        .map_or_else(|| handler.ident().span(), Spanned::span);
    let future = local("future", span);
    let conversion = quote_spanned! {span=>
        ::switchboard::__private::into_result(#future.await)
    };
    quote! {
        let #future = #hidden(#(#args),*);
        #conversion
    }
}

/// The context argument of the call, located on the declared context type so that a wrong
/// type is reported there.
fn context_arg(handler: &Handler) -> Ident {
    let span = handler
        .context
        .as_ref()
        .map_or_else(Span::call_site, Spanned::span);
    local("ctx", span)
}

/// A local variable of the generated code: `__switchboard_<name>`, with mixed-site hygiene
/// (invisible to the user's code) but reported at `location`.
fn local(name: &str, location: Span) -> Ident {
    let span = Span::mixed_site().located_at(location);
    Ident::new(&format!("__switchboard_{name}"), span)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    /// The expansion of `#[signal(attr)] item`, as text.
    fn expand(attr: TokenStream, item: TokenStream) -> String {
        signal(attr, item).to_string()
    }

    /// Whether the expansion reports `message`.
    fn reports(attr: TokenStream, item: TokenStream, message: &str) -> bool {
        expand(attr, item).contains(message)
    }

    #[test]
    fn a_handler_becomes_a_struct_and_a_hidden_function() {
        let out = expand(
            quote!(path = "chat.send"),
            quote! {
                /// Sends.
                #[inline]
                pub async fn send(ctx: SignalContext, room: String) -> Result<(), SignalError> {
                    Ok(())
                }
            },
        );
        assert!(out.contains("pub struct send ;"), "{out}");
        assert!(out.contains("impl :: switchboard :: __private :: SignalHandler for send"));
        assert!(out.contains("async fn __switchboard_signal_send"), "{out}");
        assert!(out.contains("no_extra"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
        let hidden = out
            .find("# [doc (hidden)]")
            .expect("the function is hidden");
        assert!(
            out[..hidden].contains("Sends."),
            "docs go to the struct: {out}"
        );
        assert!(
            out[hidden..].contains("# [inline]"),
            "other attributes stay: {out}"
        );
    }

    #[test]
    fn a_rest_parameter_takes_the_leftovers() {
        let out = expand(
            quote!(),
            quote! { async fn f(ctx: Ctx, a: u8, #[opts] rest: Opts) -> R {} },
        );
        assert!(!out.contains("no_extra"), "{out}");
        assert!(!out.contains("# [opts]"), "{out}");
    }

    #[test]
    fn raw_names_are_unraw_in_generated_names() {
        let out = expand(
            quote!(),
            quote! { async fn r#type(ctx: Ctx, r#in: u8) -> R {} },
        );
        assert!(out.contains("struct r#type"), "{out}");
        assert!(out.contains("__switchboard_signal_type"), "{out}");
        assert!(out.contains("\"in\""), "{out}");
    }

    #[test]
    fn every_problem_is_reported_with_the_function_kept() {
        let out = expand(
            quote!(queue = "q"),
            quote! { fn f<T>(&self, #[opts] a: Opts, #[opts] b: Opts) {} },
        );
        for message in ["`async fn`", "generic", "`self`", "only one parameter"] {
            assert!(out.contains(message), "{message}: {out}");
        }
        assert!(out.contains("fn f < T >"), "{out}");
        assert!(!out.contains("# [opts]"), "markers are removed: {out}");
    }

    #[test]
    fn only_functions_are_handlers() {
        let out = expand(quote!(), quote! { struct S; });
        assert!(out.contains("applies to `async fn` handlers"), "{out}");
        assert!(out.contains("struct S ;"), "{out}");
    }

    #[test]
    fn attribute_values_are_checked() {
        let item = quote! { async fn f(ctx: Ctx) -> R {} };
        let cases = [
            (quote!(path = "a b"), "invalid signal name"),
            (quote!(queue = 1), "`queue` must be a string literal"),
            (
                quote!(timeout_ms = 99999999999999999999),
                "`timeout_ms` must be",
            ),
            (quote!(timeout_ms = 5ms), "`timeout_ms` must be"),
            (quote!(crate::path = "a"), "unknown #[signal] argument"),
            (quote!(path("a")), "`path` needs a value"),
        ];
        for (attr, message) in cases {
            assert!(reports(attr.clone(), item.clone(), message), "{attr}");
        }
    }

    #[test]
    fn a_function_name_unfit_for_a_signal_name_needs_a_path() {
        let item = quote! { async fn café(ctx: Ctx) -> R {} };
        assert!(reports(quote!(), item.clone(), "cannot end a signal name"));
        assert!(!reports(quote!(path = "cafe"), item, "compile_error"));
    }
}
