// The console's state for one browser tab (S), the storage keys it keeps between page loads,
// and what the signed-in user's role allows.

export const LANG_KEY = 'sunlight.console.lang';
export const WALL_KEY = 'sunlight.console.wall';
export const TOKEN_KEY = 'sunlight.console.token';
export const ME_KEY = 'sunlight.console.me';

function initialLang() {
  const saved = localStorage.getItem(LANG_KEY);
  // Chinese unless English was chosen (the choice is remembered).
  return saved === 'en' ? 'en' : 'zh';
}

export const S = {
  lang: initialLang(),
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  me: null,
  departments: new Map(),  // id -> name
  items: new Map(),        // code -> name
  catalogueLoaded: false,
  board: null,
  boardAt: null,
  alerts: [],              // newest first
  alertIds: new Set(),
  alertsLoaded: false,
  alertsError: '',
  unseen: 0,
  renderSeq: 0,
  route: { name: '', params: {} },
  stream: null,            // { controller }
  streamGen: 0,
  casesPaging: { key: '', tokens: [''], index: 0 },
  issuedNotices: new Map(), // case_id -> Set(notice_id) issued in this session
  caseShown: null,         // the case on the case page, and its process (case_page.js)
  caseProcess: null,
};

const role = () => (S.me && S.me.role) || '';
export const isInspector = () => role() === 'inspector';
export const isAdmin = () => role() === 'administrator';
export const isStaff = () => !!(S.me && S.me.department_id) && !isInspector() && !isAdmin();

// Whether the page drawn as render number seq is still the one shown (main.js counts them).
export const current = (seq) => seq === S.renderSeq;
