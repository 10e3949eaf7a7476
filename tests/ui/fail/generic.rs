use switchboard::{signal, SignalContext, SignalError};

#[signal]
async fn echo<T: serde::de::DeserializeOwned + serde::Serialize>(
    _ctx: SignalContext,
    value: T,
) -> Result<T, SignalError> {
    Ok(value)
}

#[signal]
async fn show(_ctx: SignalContext, value: impl std::fmt::Display) -> Result<String, SignalError> {
    Ok(value.to_string())
}

fn main() {}
