// Writes k6's end-of-test summary as JSON where the bench command reads it.
export function jsonSummary(defaultPath) {
  return (data) => {
    const path = __ENV.SUMMARY || defaultPath;
    return { [path]: JSON.stringify(data, null, 1), stdout: `summary written to ${path}\n` };
  };
}
