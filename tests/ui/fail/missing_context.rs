use switchboard::{signal, SignalError};

#[signal]
async fn ping() -> Result<(), SignalError> {
    Ok(())
}

fn main() {}
