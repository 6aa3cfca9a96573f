/** The console's built files, embedded as text by esbuild's text loader (see console/build.ts). */
declare module '*.txt' {
  const text: string;
  export default text;
}
