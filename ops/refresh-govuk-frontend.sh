#!/usr/bin/env bash
# Refreshes the GOV.UK Frontend files the pages serve from npm at the pinned version. The built files
# are checked in (src/ExpertsAtHand.Service/wwwroot), with their licence, so the README's two commands
# need neither npm nor the network on a fresh machine; run this only to move to another version.
set -euo pipefail
version=6.6.0
cd "$(dirname "$0")/.."
root=src/ExpertsAtHand.Service/wwwroot
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "govuk-frontend@$version" --silent >/dev/null && tar xzf "govuk-frontend-$version.tgz")
dist="$work/package/dist/govuk"
rm -rf "$root/govuk" "$root/assets"
mkdir -p "$root/govuk" "$root/assets"
# GDS Transport is licensed to services on GOV.UK alone. As the Sass settings $govuk-font-family
# (arial) and $govuk-include-default-font-face (false) would at build, the precompiled style sheet is
# set in Arial and its font faces dropped; the font files are not shipped.
sed -E -e 's/font-family:GDS Transport,arial,sans-serif/font-family:arial,sans-serif/g' \
       -e 's/@font-face\{[^}]*GDS Transport[^}]*\}//g' \
       -e 's/font-family:GDS Transport([;}])/font-family:arial,sans-serif\1/g' \
       -e 's#/\*\# sourceMappingURL=[^*]*\*/##' \
       "$dist/govuk-frontend.min.css" > "$root/govuk/govuk-frontend.min.css"
sed -e 's#//\# sourceMappingURL=.*##' "$dist/govuk-frontend.min.js" > "$root/govuk/govuk-frontend.min.js"
cp -r "$dist/assets/images" "$root/assets/"
cat > "$root/govuk/LICENSE.txt" <<LICENCE
GOV.UK Frontend $version (https://github.com/alphagov/govuk-frontend), from npm.
Released under the MIT License (its package.json: "license": "MIT"); its documentation is
(c) Crown copyright under the Open Government Licence v3.0.

The MIT License (MIT)

Copyright (c) 2018 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
LICENCE
echo "$version" > "$root/govuk/VERSION"
echo "GOV.UK Frontend $version in $root"
