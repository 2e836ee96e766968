#!/usr/bin/env node
// `prepack` of every published package. `npm pack` and `npm publish` copy `workspace:*` dependency ranges
// into the tarball as they are, and such a tarball cannot be installed; pnpm replaces them with the
// workspace packages' versions. So packing is refused unless pnpm runs it (see RELEASING.md).
// npm_execpath names the client running the script; npm sets it whatever the environment says (unlike the
// user agent, which npm also takes from an inherited npm_config_user_agent).
const client = process.env.npm_execpath ?? '';
const agent = process.env.npm_config_user_agent ?? '';
if (!/pnpm/.test(client)) {
  console.error(
    `refusing to pack ${process.env.npm_package_name ?? 'this package'} with ${/npm-cli/.test(client) ? 'npm' : agent.split(' ')[0] || 'an unknown client'}: ` +
      'its workspace:* dependencies would stay in the tarball and make it uninstallable. ' +
      'Pack or publish with pnpm (`npx pnpm@10.34.8 pack`, or `npx pnpm@10.34.8 changeset publish` from the root); see RELEASING.md.',
  );
  process.exit(1);
}
