#!/usr/bin/env bash
# Print the path of a Python >= 3.12: $PYTHON if set, else the first that fits among the usual
# names and pyenv's installed versions (the default python3 on these machines is 3.11).
set -u
fits() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }
if [ -n "${PYTHON:-}" ]; then
  if fits "$PYTHON"; then command -v "$PYTHON" || echo "$PYTHON"; exit 0; fi
  echo "PYTHON=$PYTHON is not a Python >= 3.12" >&2; exit 1
fi
candidates=(python3.13 python3.12 python3)
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  for v in $(ls -1 "$root/versions" 2>/dev/null | sort -rV); do candidates+=("$root/versions/$v/bin/python"); done
fi
for c in "${candidates[@]}"; do
  if fits "$c"; then command -v "$c" || echo "$c"; exit 0; fi
done
echo "No Python >= 3.12 found: install one or set PYTHON=/path/to/python3.12" >&2
exit 1
