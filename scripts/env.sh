# Shared environment for Liaison's scripts (sourced, not run).
#
# One Rust toolchain builds the whole workspace, host and wasm:
#  - "rustup" mode: rustup's toolchain, when it has the wasm32-unknown-unknown target;
#  - "debian" mode otherwise: Debian's rustc-web (/usr/bin/rustc) with a wasm std built
#    once from rust-web-src into $LIAISON_CACHE/wasm-sysroot (see shared/TOOLCHAIN.md).
# Build outputs live outside the clone, in $LIAISON_CACHE.

LIAISON_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIAISON_CACHE="${LIAISON_CACHE:-$HOME/.cache/liaison}"
export LIAISON_ROOT LIAISON_CACHE
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$LIAISON_CACHE/target}"
export PATH="$LIAISON_CACHE/tools/bin:$PATH"
LIAISON_SITE_DIR="${LIAISON_SITE_DIR:-$LIAISON_ROOT/target/site}"
export LIAISON_SITE_DIR

if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    LIAISON_TOOLCHAIN=rustup
    CARGO="$(command -v cargo)"
else
    LIAISON_TOOLCHAIN=debian
    CARGO=/usr/bin/cargo
    # Cargo and build scripts must not reach rustup's proxies (a crate's rust-toolchain
    # file would make them ask for a toolchain that is not installed).
    export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
    # Cargo finds subcommands on PATH: without this, `cargo clippy` runs rustup's 1.95
    # clippy-driver against 1.96-built crates (error E0514). Debian's clippy is 1.96.
    PATH="/usr/bin:$PATH"
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--sysroot=$LIAISON_CACHE/wasm-sysroot"
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER="$LIAISON_CACHE/tools/bin/rust-lld"
fi
# Playwright needs Node >= 20; on a machine with only Debian 12's Node 18, scripts/bootstrap
# puts Node 22 (from npm) here.
if [ -x "$LIAISON_CACHE/node/node_modules/.bin/node" ]; then PATH="$LIAISON_CACHE/node/node_modules/.bin:$PATH"; fi
export PATH LIAISON_TOOLCHAIN CARGO

# The Python that runs test peers (aiosmtpd); scripts/bootstrap creates it.
export LIAISON_TEST_PYTHON="${LIAISON_TEST_PYTHON:-$LIAISON_CACHE/py/bin/python}"

# Progress lines carry the time since the outermost script started (budgets are per phase).
export LIAISON_STARTED="${LIAISON_STARTED:-$(date +%s)}"
say() {
    local t=$(( $(date +%s) - LIAISON_STARTED ))
    printf '\033[1m==> [%d:%02d] %s\033[0m\n' $((t / 60)) $((t % 60)) "$*" >&2
}
