// TEMPORARY (not for commit): serves a private copy of the build so parallel builds cannot swap it.
import base from './playwright.config';
export default { ...base, webServer: { ...(base as any).webServer, command: 'ROOT_OVERRIDE=1 bash /tmp/pw/serve-mine.sh' } };
