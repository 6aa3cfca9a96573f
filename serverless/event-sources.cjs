// The sources that may ask for backups by event, for the rule's pattern: the names in the
// `backupRequestSources` parameter (`source=project|project;source=*`), which the function itself
// checks again with the projects each may name (BACKUP_REQUEST_SOURCES).
module.exports = async ({ resolveVariable }) => {
  const text = await resolveVariable('self:custom.backupRequestSources');
  return {
    sources: String(text)
      .split(';')
      .filter(Boolean)
      .map((entry) => entry.split('=')[0]),
  };
};
