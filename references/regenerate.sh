#!/usr/bin/env bash
# Builds the two reference environments (torch; JAX + optax) and regenerates
# references/data/ from them. Neither library is ever installed into the
# project's own environment.
#
#   bash references/regenerate.sh            # both libraries
#   bash references/regenerate.sh optax      # one
#
# REFERENCE_VENVS: where the environments live (default: .venv-references/ in
# the repository root); PYTHON: the interpreter that creates them (python3).
# The versions are pinned so that a regeneration changes only the date; pip
# reads its usual settings (PIP_INDEX_URL, ...) from the environment.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
venvs="${REFERENCE_VENVS:-$root/.venv-references}"
python="${PYTHON:-python3}"

TORCH_PACKAGES=(torch==2.13.0 numpy==2.4.6)
OPTAX_PACKAGES=(jax==0.10.2 jaxlib==0.10.2 optax==0.2.8 numpy==2.4.6)

make_env() {
  local name="$1"
  shift
  if [ ! -x "$venvs/$name/bin/python" ]; then
    echo "creating $venvs/$name"
    "$python" -m venv "$venvs/$name"
  fi
  "$venvs/$name/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

libraries=("$@")
[ ${#libraries[@]} -eq 0 ] && libraries=(torch optax)
for library in "${libraries[@]}"; do
  case "$library" in
    torch) make_env torch "${TORCH_PACKAGES[@]}" ;;
    optax) make_env optax "${OPTAX_PACKAGES[@]}" ;;
    *) echo "unknown library '$library': torch or optax" >&2; exit 2 ;;
  esac
  "$venvs/$library/bin/python" "$here/generate.py" "$library"
done
