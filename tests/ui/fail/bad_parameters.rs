use switchboard::Opts;
use switchboard::{signal, SignalContext, SignalError};

#[signal]
async fn pattern(_ctx: SignalContext, (a, b): (u8, u8), _: u8) -> Result<u8, SignalError> {
    Ok(a + b)
}

#[signal]
async fn borrowed(_ctx: SignalContext, name: &str) -> Result<(), SignalError> {
    let _ = name;
    Ok(())
}

#[signal]
async fn two_rests(
    _ctx: SignalContext,
    #[opts] a: Opts,
    #[opts] b: Opts,
) -> Result<(), SignalError> {
    let _ = (a, b);
    Ok(())
}

#[signal]
async fn rest_context(#[opts] _ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

#[signal]
async fn rest_with_arguments(
    _ctx: SignalContext,
    #[opts(all)] rest: Opts,
) -> Result<(), SignalError> {
    let _ = rest;
    Ok(())
}

#[signal]
async unsafe fn unsafe_handler(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

fn main() {}
