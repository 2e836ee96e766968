// Vite's `?url` imports (browser-mode tests): the served URL of a file.
declare module '*?url' {
  const url: string;
  export default url;
}
