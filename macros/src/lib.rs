//! The `#[signal]` attribute macro of Switchboard (placeholder until the macro lands).
use proc_macro::TokenStream;

/// Declares a signal handler.
#[proc_macro_attribute]
pub fn signal(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}
