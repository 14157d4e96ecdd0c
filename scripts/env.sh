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
# Lints run inside the builds: every cargo command of these scripts compiles the
# workspace's own crates with clippy-driver as the compiler (dependencies with plain rustc),
# so a clippy warning fails the build that compiles the crate anyway, and no separate
# check-mode compile of the dependency tree is needed. Cargo keeps these artifacts apart
# from a plain `cargo build`'s (the wrapper is part of their hash). scripts/bootstrap
# installs the driver; scripts/test refuses to run without it.
if [ "$LIAISON_TOOLCHAIN" = debian ]; then clippy_driver=/usr/bin/clippy-driver
else clippy_driver="$(rustup which clippy-driver 2>/dev/null || true)"; fi
if [ -n "$clippy_driver" ] && [ -x "$clippy_driver" ]; then
    export RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
    export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
fi
# Host binaries link with lld (scripts/bootstrap links it into tools/bin): the test
# binaries link several times faster than with ld.bfd.
if [ -x "$LIAISON_CACHE/tools/bin/ld.lld" ]; then
    host_triple="$("${RUSTC:-rustc}" -vV | sed -n 's/^host: //p')"
    export "CARGO_TARGET_$(printf '%s' "$host_triple" | tr 'a-z-' 'A-Z_')_RUSTFLAGS=-Clink-arg=-fuse-ld=lld"
fi
# The wasm bundles build in their own target dir, so scripts/build-site can build them while
# the server builds (cargo locks a target dir for one build at a time).
export LIAISON_WASM_TARGET_DIR="${LIAISON_WASM_TARGET_DIR:-$LIAISON_CACHE/target-wasm}"
# Playwright needs Node >= 20; on a machine with only Debian 12's Node 18, scripts/bootstrap
# puts Node 22 (from npm) here.
if [ -x "$LIAISON_CACHE/node/node_modules/.bin/node" ]; then PATH="$LIAISON_CACHE/node/node_modules/.bin:$PATH"; fi
export PATH LIAISON_TOOLCHAIN CARGO

# The Python that runs test peers (aiosmtpd); scripts/bootstrap creates it.
export LIAISON_TEST_PYTHON="${LIAISON_TEST_PYTHON:-$LIAISON_CACHE/py/bin/python}"

# Server-function ids hash this instead of the crate's absolute path, so every clone's build
# names them alike (scripts/build-site reuses one clone's artifacts in another).
export SERVER_FN_OVERRIDE_KEY=liaison

# Progress lines carry the time since the outermost script started (budgets are per phase).
export LIAISON_STARTED="${LIAISON_STARTED:-$(date +%s)}"
say() {
    local t=$(( $(date +%s) - LIAISON_STARTED ))
    printf '\033[1m==> [%d:%02d] %s\033[0m\n' $((t / 60)) $((t % 60)) "$*" >&2
}
