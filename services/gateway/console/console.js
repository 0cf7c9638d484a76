// Sunlight inspectors' console: the light board, case lists, case pages with their clocks,
// alerts and supervision notices, over the gateway's REST API (same origin, /v1/...).
// Plain JavaScript, no build step and nothing loaded from elsewhere. The gateway serves this
// file with a Content-Security-Policy of default-src 'self': no inline scripts or handlers.
(() => {
  'use strict';

  // ------------------------------------------------------------------ texts (中文 / English)

  const TEXTS = {
    zh: {
      'app.name': '阳光审批电子监察', 'app.sub': '监察员控制台',
      'nav.board': '灯板', 'nav.cases': '案件', 'nav.alerts': '预警',
      'search.placeholder': '按办件编号查找', 'search.go': '查找',
      'search.notfound': '没有办件编号为 {n} 的案件（或无权查看）。',
      'live.on': '实时', 'live.connecting': '连接中', 'live.retry': '重连中', 'live.off': '未连接',
      'live.title.on': '实时数据流已连接', 'live.title.retry': '数据流中断，{s} 秒后重连',
      'wall.on': '大屏', 'wall.off': '退出大屏', 'wall.title': '监控大屏模式',
      'logout': '退出',
      'login.title': '登录', 'login.hint': '监察人员、管理员和部门工作人员使用本人账号登录。',
      'login.user': '用户名', 'login.password': '密码', 'login.submit': '登录',
      'login.busy': '正在登录…', 'login.expired': '会话已结束，请重新登录。',
      'login.loggedout': '已退出。',
      'role.administrator': '管理员', 'role.inspector': '监察员', 'role.window_clerk': '窗口人员',
      'role.handler': '承办人', 'role.reviewer': '审核人', 'role.approver': '批准人',
      'role.applicant': '申请人', 'role.service': '系统',
      'light.LIGHT_GREEN': '绿灯', 'light.LIGHT_YELLOW': '黄灯', 'light.LIGHT_RED': '红灯',
      'light.LIGHT_UNSPECIFIED': '未定',
      'board.title': '红黄绿灯板', 'board.sub': '各部门在办案件的时限状态，最严重的排在最前，实时更新。',
      'board.green': '绿灯', 'board.yellow': '黄灯', 'board.red': '红灯', 'board.anomalies': '异常',
      'board.total': '全部部门', 'board.updated': '更新于 {t}', 'board.empty': '还没有任何时限记录。',
      'board.waiting': '正在等待灯板数据…', 'board.latest': '最新预警', 'board.noalerts': '暂无预警。',
      'board.open': '查看{light}案件', 'board.anomalies.open': '查看异常预警',
      'cases.title': '案件列表', 'cases.light': '灯色', 'cases.department': '部门',
      'cases.item': '事项', 'cases.from': '开始于（起）', 'cases.to': '开始于（止）',
      'cases.pagesize': '每页', 'cases.apply': '查询', 'cases.reset': '重置',
      'cases.all': '全部', 'cases.none': '没有符合条件的案件。', 'cases.page': '第 {n} 页',
      'cases.prev': '上一页', 'cases.next': '下一页', 'cases.changed': '灯色已变化。',
      'cases.reload': '刷新列表', 'cases.count': '本页 {n} 件',
      'col.case_number': '办件编号', 'col.item': '事项', 'col.department': '部门',
      'col.responsible': '责任人', 'col.started': '开始计时', 'col.yellow': '黄灯时点',
      'col.due': '到期', 'col.light': '灯色', 'col.status': '状态', 'col.time': '时间',
      'col.kind': '类别', 'col.message': '内容', 'col.step': '环节', 'col.role': '岗位',
      'col.state': '状态', 'col.assignee': '经办人', 'col.completed': '完成',
      'status.running': '计时中', 'status.paused': '已暂停', 'status.finished': '已结束',
      'case.back': '返回', 'case.loading': '正在载入…', 'case.subject': '申请内容',
      'case.applicant': '申请人', 'case.state': '案件状态', 'case.submitted': '提交时间',
      'case.accepted': '受理时间', 'case.current_due': '当前到期', 'case.window': '受理窗口',
      'case.channel': '渠道', 'case.receipt': '受理回执',
      'case.clocks': '时限与灯色', 'case.noclocks': '暂无时限（案件尚未受理，或监察服务尚未收到事件）。',
      'case.timeline': '办理过程', 'case.notimeline': '暂无记录。',
      'case.steps': '办理环节', 'case.nosteps': '尚未开始流转。',
      'case.alerts': '本案预警', 'case.noalerts': '本案暂无预警。',
      'case.notices': '督办', 'case.nonotices': '本案尚未督办。',
      'case.payload': '详情',
      'state.CASE_STATE_SUBMITTED': '已提交', 'state.CASE_STATE_ACCEPTED': '已受理',
      'state.CASE_STATE_AWAITING_SUPPLEMENT': '待补正', 'state.CASE_STATE_REFUSED': '不予受理',
      'state.CASE_STATE_WITHDRAWN': '已撤回',
      'channel.CHANNEL_WINDOW': '窗口', 'channel.CHANNEL_ONLINE': '网上',
      'pstate.PROCESS_STATE_IN_PROGRESS': '办理中', 'pstate.PROCESS_STATE_COMPLETED': '已办结',
      'pstate.PROCESS_STATE_CERTIFICATE_ISSUED': '已出件', 'pstate.PROCESS_STATE_WITHDRAWN': '已撤回',
      'step.STEP_STATE_OPEN': '待认领', 'step.STEP_STATE_CLAIMED': '办理中',
      'step.STEP_STATE_PASSED': '通过', 'step.STEP_STATE_DENIED': '不予许可',
      'step.STEP_STATE_RETURNED': '退回', 'step.STEP_STATE_CANCELLED': '取消',
      'kind.CLOCK_KIND_CASE': '办件时限', 'kind.CLOCK_KIND_STEP': '环节时限',
      'kind.CLOCK_KIND_PROCEDURE': '特别程序', 'kind.CLOCK_KIND_NOTICE': '督办回复时限',
      'clock.started': '开始计时', 'clock.limit': '时限', 'clock.statutory': '法定时限',
      'clock.yellow_at': '黄灯时点', 'clock.due': '到期', 'clock.red_at': '红灯时点',
      'clock.finished_at': '结束', 'clock.paused': '暂停中', 'clock.versions': '日历 / 规则版本',
      'clock.rule': '适用规则', 'clock.explanation': '计算说明', 'clock.remaining': '剩余工作时间',
      'clock.responsible': '责任', 'clock.extension': '延长', 'clock.plan_error': '无法计算',
      'clock.provisional': '含未公布年份（暂按周末计）', 'clock.changed': '灯色变化于',
      'clock.strip': '日历条', 'clock.more': '其他时限（{n}）',
      'unit.LIMIT_UNIT_WORKING_DAYS': '{n} 个工作日', 'unit.LIMIT_UNIT_NATURAL_DAYS': '{n} 个自然日',
      'unit.LIMIT_UNIT_SAME_DAY': '当日办结',
      'unit.working': '工作日', 'unit.natural': '自然日',
      'strip.counted': '计入时限的工作日', 'strip.makeup': '调休工作日', 'strip.weekend': '周末',
      'strip.holiday': '法定节假日', 'strip.acceptance': '受理当日（不计）', 'strip.pause': '暂停',
      'strip.beyond': '说明范围之外', 'strip.natural': '自然日',
      'mark.start': '开始', 'mark.yellow': '黄灯', 'mark.due': '到期', 'mark.red': '红灯',
      'mark.asof': '计算时点', 'mark.finished': '结束',
      'note.working day': '工作日', 'note.make-up working day': '调休工作日', 'note.weekend': '周末',
      'note.public holiday': '法定节假日', 'note.acceptance day': '受理当日（不计）',
      'note.natural day': '自然日',
      'notice.issue': '下达督办通知', 'notice.reason': '督办事由', 'notice.limit': '回复时限',
      'notice.submit': '下达督办', 'notice.issued.ok': '督办通知 {id} 已下达。',
      'notice.reason.default': '案件已超期，请说明理由并整改。',
      'notice.NOTICE_STATE_ISSUED': '已下达', 'notice.NOTICE_STATE_ANSWERED': '已回复',
      'notice.NOTICE_STATE_ACCEPTED': '已采纳', 'notice.NOTICE_STATE_ESCALATED': '已发监察建议书',
      'notice.issued_by': '下达', 'notice.response_due': '回复期限', 'notice.response': '部门回复',
      'notice.decision': '监察意见', 'notice.awaiting': '等待部门回复。',
      'notice.decide.text': '意见', 'notice.accept': '采纳说明', 'notice.escalate': '发监察建议书',
      'notice.decide.hint': '部门逾期未回复，可直接发监察建议书。',
      'notice.respond': '提交回复', 'notice.respond.text': '说明理由与整改措施',
      'notice.decided.ok': '督办 {id}：{state}。', 'notice.responded.ok': '已回复督办 {id}。',
      'alerts.title': '预警', 'alerts.sub': '时限变灯与重点监察异常，按发生先后倒序，新预警实时到达。',
      'alerts.kind': '类别', 'alerts.all': '全部', 'alerts.light': '变灯', 'alerts.anomaly': '异常',
      'alerts.none': '暂无预警。', 'alerts.new': '新预警', 'alerts.live': '实时到达',
      'alerts.ALERT_KIND_LIGHT': '变灯', 'alerts.ALERT_KIND_ANOMALY': '异常',
      'alerts.text.red': '{what}已超期，亮红灯', 'alerts.text.yellow': '{what}临近到期，亮黄灯',
      'alerts.text.green': '{what}恢复绿灯', 'alerts.anomaly.text': '重点监察异常：{what}', 'alerts.clock': '时限',
      'anomaly.refusal': '不予受理', 'anomaly.denial': '不予许可',
      'anomaly.supplement_requested': '补正告知', 'anomaly.steps_out_of_order': '环节顺序异常',
      'anomaly.completed_with_steps_missing': '缺环节办结',
      'anomaly.long_gap_before_acceptance': '提交后长时间未受理',
      'anomaly.repeated_procedures': '多次特别程序',
      'error.generic': '出错了：{m}', 'error.network': '无法连接网关：{m}',
      'readonly': '只读：管理员可查看监察信息，督办由监察员办理。',
      'staffview': '仅显示本部门（{d}）的数据。',
      'ev.intake.case.submitted': '提交申请', 'ev.intake.case.accepted': '受理',
      'ev.intake.case.refused': '不予受理', 'ev.intake.case.supplement_requested': '一次性告知补正',
      'ev.intake.case.supplement_received': '收到补正材料', 'ev.intake.case.withdrawn': '申请人撤回',
      'ev.workflow.process.started': '开始流转', 'ev.workflow.step.activated': '环节开始',
      'ev.workflow.step.claimed': '认领环节', 'ev.workflow.step.completed': '环节完成',
      'ev.workflow.step.transferred': '环节转办', 'ev.workflow.step.cancelled': '环节取消',
      'ev.workflow.step.reported_externally': '自建系统报送',
      'ev.workflow.procedure.started': '特别程序开始', 'ev.workflow.procedure.ended': '特别程序结束',
      'ev.workflow.extension.approved': '批准延长', 'ev.workflow.case.decided': '作出决定',
      'ev.workflow.case.completed': '办结', 'ev.workflow.certificate.issued': '出件',
      'ev.workflow.process.withdrawn': '撤回', 'ev.workflow.clock.paused': '暂停计时',
      'ev.workflow.clock.resumed': '恢复计时',
      'by': '经办', 'at': '于', 'yes': '是', 'no': '否',
    },
    en: {
      'app.name': 'Sunlight e-Supervision', 'app.sub': 'Inspectors\' console',
      'nav.board': 'Board', 'nav.cases': 'Cases', 'nav.alerts': 'Alerts',
      'search.placeholder': 'Find by case number', 'search.go': 'Find',
      'search.notfound': 'No case numbered {n} (or not visible to you).',
      'live.on': 'Live', 'live.connecting': 'Connecting', 'live.retry': 'Reconnecting',
      'live.off': 'Offline',
      'live.title.on': 'Live event stream connected',
      'live.title.retry': 'Stream interrupted; reconnecting in {s} s',
      'wall.on': 'Wall', 'wall.off': 'Exit wall', 'wall.title': 'Monitoring-room wall mode',
      'logout': 'Log out',
      'login.title': 'Log in',
      'login.hint': 'Inspectors, administrators and department staff log in with their own account.',
      'login.user': 'User ID', 'login.password': 'Password', 'login.submit': 'Log in',
      'login.busy': 'Logging in…', 'login.expired': 'Your session has ended; please log in again.',
      'login.loggedout': 'You are logged out.',
      'role.administrator': 'Administrator', 'role.inspector': 'Inspector',
      'role.window_clerk': 'Window clerk', 'role.handler': 'Handler', 'role.reviewer': 'Reviewer',
      'role.approver': 'Approver', 'role.applicant': 'Applicant', 'role.service': 'System',
      'light.LIGHT_GREEN': 'Green', 'light.LIGHT_YELLOW': 'Yellow', 'light.LIGHT_RED': 'Red',
      'light.LIGHT_UNSPECIFIED': 'Unknown',
      'board.title': 'Light board',
      'board.sub': 'Time-limit status of every department\'s open cases, worst first, live.',
      'board.green': 'Green', 'board.yellow': 'Yellow', 'board.red': 'Red',
      'board.anomalies': 'Anomalies', 'board.total': 'All departments',
      'board.updated': 'Updated {t}', 'board.empty': 'No clocks yet.',
      'board.waiting': 'Waiting for the board…', 'board.latest': 'Latest alerts',
      'board.noalerts': 'No alerts yet.', 'board.open': 'Show {light} cases',
      'board.anomalies.open': 'Show anomaly alerts',
      'cases.title': 'Cases', 'cases.light': 'Light', 'cases.department': 'Department',
      'cases.item': 'Item', 'cases.from': 'Started from', 'cases.to': 'Started to',
      'cases.pagesize': 'Per page', 'cases.apply': 'Search', 'cases.reset': 'Reset',
      'cases.all': 'All', 'cases.none': 'No cases match.', 'cases.page': 'Page {n}',
      'cases.prev': 'Previous', 'cases.next': 'Next', 'cases.changed': 'Lights have changed.',
      'cases.reload': 'Reload list', 'cases.count': '{n} on this page',
      'col.case_number': 'Case number', 'col.item': 'Item', 'col.department': 'Department',
      'col.responsible': 'Responsible', 'col.started': 'Clock started', 'col.yellow': 'Yellow at',
      'col.due': 'Due', 'col.light': 'Light', 'col.status': 'Status', 'col.time': 'Time',
      'col.kind': 'Kind', 'col.message': 'Message', 'col.step': 'Step', 'col.role': 'Role',
      'col.state': 'State', 'col.assignee': 'Assignee', 'col.completed': 'Completed',
      'status.running': 'Running', 'status.paused': 'Paused', 'status.finished': 'Finished',
      'case.back': 'Back', 'case.loading': 'Loading…', 'case.subject': 'Subject',
      'case.applicant': 'Applicant', 'case.state': 'Case state', 'case.submitted': 'Submitted',
      'case.accepted': 'Accepted', 'case.current_due': 'Currently due', 'case.window': 'Window',
      'case.channel': 'Channel', 'case.receipt': 'Receipt',
      'case.clocks': 'Time limits and lights',
      'case.noclocks': 'No clocks yet (not accepted, or supervision has not seen the events).',
      'case.timeline': 'Timeline', 'case.notimeline': 'No events.',
      'case.steps': 'Steps', 'case.nosteps': 'Not routed yet.',
      'case.alerts': 'Alerts on this case', 'case.noalerts': 'No alerts on this case.',
      'case.notices': 'Supervision notices', 'case.nonotices': 'No supervision notice yet.',
      'case.payload': 'Details',
      'state.CASE_STATE_SUBMITTED': 'Submitted', 'state.CASE_STATE_ACCEPTED': 'Accepted',
      'state.CASE_STATE_AWAITING_SUPPLEMENT': 'Awaiting supplement',
      'state.CASE_STATE_REFUSED': 'Refused', 'state.CASE_STATE_WITHDRAWN': 'Withdrawn',
      'channel.CHANNEL_WINDOW': 'Window', 'channel.CHANNEL_ONLINE': 'Online',
      'pstate.PROCESS_STATE_IN_PROGRESS': 'In progress', 'pstate.PROCESS_STATE_COMPLETED': 'Completed',
      'pstate.PROCESS_STATE_CERTIFICATE_ISSUED': 'Certificate issued',
      'pstate.PROCESS_STATE_WITHDRAWN': 'Withdrawn',
      'step.STEP_STATE_OPEN': 'Open', 'step.STEP_STATE_CLAIMED': 'Claimed',
      'step.STEP_STATE_PASSED': 'Passed', 'step.STEP_STATE_DENIED': 'Denied',
      'step.STEP_STATE_RETURNED': 'Returned', 'step.STEP_STATE_CANCELLED': 'Cancelled',
      'kind.CLOCK_KIND_CASE': 'Case limit', 'kind.CLOCK_KIND_STEP': 'Step limit',
      'kind.CLOCK_KIND_PROCEDURE': 'Special procedure', 'kind.CLOCK_KIND_NOTICE': 'Notice response',
      'clock.started': 'Started', 'clock.limit': 'Limit', 'clock.statutory': 'Statutory limit',
      'clock.yellow_at': 'Yellow at', 'clock.due': 'Due', 'clock.red_at': 'Red at',
      'clock.finished_at': 'Finished', 'clock.paused': 'Paused', 'clock.versions': 'Calendar / rules',
      'clock.rule': 'Rule applied', 'clock.explanation': 'Explanation',
      'clock.remaining': 'Working time left', 'clock.responsible': 'Responsible',
      'clock.extension': 'Extension', 'clock.plan_error': 'Cannot be planned',
      'clock.provisional': 'Uses an unpublished year (weekends only)',
      'clock.changed': 'Light changed', 'clock.strip': 'Calendar strip',
      'clock.more': 'Other clocks ({n})',
      'unit.LIMIT_UNIT_WORKING_DAYS': '{n} working days', 'unit.LIMIT_UNIT_NATURAL_DAYS': '{n} natural days',
      'unit.LIMIT_UNIT_SAME_DAY': 'Same day',
      'unit.working': 'working days', 'unit.natural': 'natural days',
      'strip.counted': 'Counted working day', 'strip.makeup': 'Make-up working day',
      'strip.weekend': 'Weekend', 'strip.holiday': 'Public holiday',
      'strip.acceptance': 'Acceptance day (not counted)', 'strip.pause': 'Paused',
      'strip.beyond': 'Outside the explanation', 'strip.natural': 'Natural day',
      'mark.start': 'Start', 'mark.yellow': 'Yellow', 'mark.due': 'Due', 'mark.red': 'Red',
      'mark.asof': 'As of', 'mark.finished': 'Finished',
      'note.working day': 'Working day', 'note.make-up working day': 'Make-up working day',
      'note.weekend': 'Weekend', 'note.public holiday': 'Public holiday',
      'note.acceptance day': 'Acceptance day (not counted)', 'note.natural day': 'Natural day',
      'notice.issue': 'Issue a supervision notice', 'notice.reason': 'Reason',
      'notice.limit': 'Response limit', 'notice.submit': 'Issue notice',
      'notice.issued.ok': 'Supervision notice {id} issued.',
      'notice.reason.default': 'The case is overdue: explain the reasons and rectify.',
      'notice.NOTICE_STATE_ISSUED': 'Issued', 'notice.NOTICE_STATE_ANSWERED': 'Answered',
      'notice.NOTICE_STATE_ACCEPTED': 'Accepted', 'notice.NOTICE_STATE_ESCALATED': 'Escalated',
      'notice.issued_by': 'Issued', 'notice.response_due': 'Answer due',
      'notice.response': 'Department\'s answer', 'notice.decision': 'Inspector\'s decision',
      'notice.awaiting': 'Waiting for the department\'s answer.',
      'notice.decide.text': 'Decision text', 'notice.accept': 'Accept the explanation',
      'notice.escalate': 'Escalate (supervision recommendation)',
      'notice.decide.hint': 'The department did not answer in time: the notice can be escalated.',
      'notice.respond': 'Send answer', 'notice.respond.text': 'Reasons and rectification',
      'notice.decided.ok': 'Notice {id}: {state}.', 'notice.responded.ok': 'Notice {id} answered.',
      'alerts.title': 'Alerts',
      'alerts.sub': 'Light changes and focused-review anomalies, newest first; new ones arrive live.',
      'alerts.kind': 'Kind', 'alerts.all': 'All', 'alerts.light': 'Light', 'alerts.anomaly': 'Anomaly',
      'alerts.none': 'No alerts.', 'alerts.new': 'New alert', 'alerts.live': 'Arrived live',
      'alerts.ALERT_KIND_LIGHT': 'Light', 'alerts.ALERT_KIND_ANOMALY': 'Anomaly',
      'alerts.text.red': '{what} overdue: red', 'alerts.text.yellow': '{what} near its limit: yellow',
      'alerts.text.green': '{what} back to green', 'alerts.anomaly.text': 'Focused-review anomaly: {what}', 'alerts.clock': 'Clock',
      'anomaly.refusal': 'Refusal', 'anomaly.denial': 'Denial',
      'anomaly.supplement_requested': 'Supplement requested',
      'anomaly.steps_out_of_order': 'Steps out of order',
      'anomaly.completed_with_steps_missing': 'Completed with steps missing',
      'anomaly.long_gap_before_acceptance': 'Long gap before acceptance',
      'anomaly.repeated_procedures': 'Repeated special procedures',
      'error.generic': 'Error: {m}', 'error.network': 'Cannot reach the gateway: {m}',
      'readonly': 'Read-only: administrators see supervision; inspectors handle notices.',
      'staffview': 'Showing your department ({d}) only.',
      'ev.intake.case.submitted': 'Submitted', 'ev.intake.case.accepted': 'Accepted',
      'ev.intake.case.refused': 'Refused', 'ev.intake.case.supplement_requested': 'Supplement requested',
      'ev.intake.case.supplement_received': 'Supplement received',
      'ev.intake.case.withdrawn': 'Withdrawn by the applicant',
      'ev.workflow.process.started': 'Routing started', 'ev.workflow.step.activated': 'Step activated',
      'ev.workflow.step.claimed': 'Step claimed', 'ev.workflow.step.completed': 'Step completed',
      'ev.workflow.step.transferred': 'Step transferred', 'ev.workflow.step.cancelled': 'Step cancelled',
      'ev.workflow.step.reported_externally': 'Reported by the department\'s own system',
      'ev.workflow.procedure.started': 'Special procedure started',
      'ev.workflow.procedure.ended': 'Special procedure ended',
      'ev.workflow.extension.approved': 'Extension approved', 'ev.workflow.case.decided': 'Decided',
      'ev.workflow.case.completed': 'Completed', 'ev.workflow.certificate.issued': 'Certificate issued',
      'ev.workflow.process.withdrawn': 'Withdrawn', 'ev.workflow.clock.paused': 'Clock paused',
      'ev.workflow.clock.resumed': 'Clock resumed',
      'by': 'by', 'at': 'at', 'yes': 'yes', 'no': 'no',
    },
  };

  const LANG_KEY = 'sunlight.console.lang';
  const WALL_KEY = 'sunlight.console.wall';
  const TOKEN_KEY = 'sunlight.console.token';
  const ME_KEY = 'sunlight.console.me';

  function initialLang() {
    const saved = localStorage.getItem(LANG_KEY);
    // Chinese unless English was chosen (the choice is remembered).
    return saved === 'en' ? 'en' : 'zh';
  }

  const S = {
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
  };

  function t(key, vars) {
    let s = TEXTS[S.lang][key];
    if (s === undefined) s = TEXTS.zh[key];
    if (s === undefined) s = key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined ? String(vars[k]) : m));
    return s;
  }
  // t() for enum-like keys whose text may be missing: falls back to the raw value.
  function tv(prefix, value) {
    if (!value) return '';
    const key = prefix + value;
    return TEXTS[S.lang][key] !== undefined || TEXTS.zh[key] !== undefined ? t(key) : value;
  }

  // Bilingual catalogue names ("市场监督管理局 Market Regulation Bureau"): the part of the
  // current language when the name has both.
  function localName(name) {
    if (!name) return '';
    const m = /^(.*[\u3400-\u9fff\u3001-\u303f\uff01-\uff5e])\s+([A-Za-z0-9(].*)$/.exec(name);
    if (!m || /[\u3400-\u9fff]/.test(m[2])) return name;
    return S.lang === 'en' ? m[2] : m[1];
  }
  const deptName = (id) => (id ? localName(S.departments.get(id) || '') || id : '');
  const itemName = (code) => (code ? localName(S.items.get(code) || '') || code : '');
  const roleName = (role) => tv('role.', role);

  // ------------------------------------------------------------------ DOM helpers

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // h('div', {class: 'x', onclick: fn, dataset: {a: 1}}, child, 'text', [children])
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'dataset') Object.assign(el.dataset, v);
        else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'text') el.textContent = v;
        else if (v === true) el.setAttribute(k, '');
        else el.setAttribute(k, String(v));
      }
    }
    append(el, children);
    return el;
  }
  function append(el, children) {
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      if (Array.isArray(c)) append(el, c);
      else if (c instanceof Node) el.appendChild(c);
      else el.appendChild(document.createTextNode(String(c)));
    }
  }

  // ------------------------------------------------------------------ time and numbers

  const num = (v) => (v === undefined || v === null || v === '' ? 0 : Number(v));
  const ms = (ts) => (ts ? Date.parse(ts) : NaN);
  const pad = (n) => String(n).padStart(2, '0');
  function fmtTime(ts, withSeconds) {
    const d = new Date(ms(ts));
    if (!ts || isNaN(d)) return '';
    const s = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return withSeconds ? `${s}:${pad(d.getSeconds())}` : s;
  }
  function fmtClock(d) {
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function fmtLimit(limit) {
    if (!limit || !limit.unit) return '';
    return t('unit.' + limit.unit, { n: num(limit.amount) });
  }
  // google.protobuf.Duration in JSON: "86400s", "-3600.5s".
  const durSeconds = (d) => (d ? parseFloat(String(d)) || 0 : 0);
  function fmtWorkingTime(d) {
    const s = durSeconds(d);
    const sign = s < 0 ? '−' : '';
    const a = Math.abs(s);
    const days = Math.floor(a / 86400);
    const hours = Math.floor((a % 86400) / 3600);
    const mins = Math.floor((a % 3600) / 60);
    if (S.lang === 'zh') return `${sign}${days} 天 ${hours} 小时 ${mins} 分`;
    return `${sign}${days} d ${hours} h ${mins} min`;
  }

  // The calendar's days are dates in Asia/Shanghai (UTC+8, no daylight saving).
  const CAL_OFFSET_MS = 8 * 3600 * 1000;
  const DAY_MS = 86400 * 1000;
  const dateStartMs = (ymd) => Date.parse(ymd + 'T00:00:00Z') - CAL_OFFSET_MS;
  const calDate = (t) => new Date(t + CAL_OFFSET_MS).toISOString().slice(0, 10);

  // ------------------------------------------------------------------ API

  class ApiError extends Error {
    constructor(status, code, message, field) {
      super(message || code || ('HTTP ' + status));
      this.status = status;
      this.code = code || '';
      this.field = field || '';
    }
  }

  const apiBase = new URL('../', document.baseURI);
  const apiUrl = (path) => new URL(path.replace(/^\//, ''), apiBase).toString();

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (S.token) headers.Authorization = 'Bearer ' + S.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(apiUrl(path), {
        method,
        headers,
        body: body !== undefined ? JSON.stringify(body) : undefined,
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, 'NETWORK', t('error.network', { m: e.message }));
    }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : {}; } catch (e) { data = null; }
    if (!res.ok) {
      const err = (data && data.error) || {};
      const e = new ApiError(res.status, err.code, err.message || text || res.statusText, err.field);
      if (res.status === 401 && S.token && path !== '/v1/login') sessionEnded();
      throw e;
    }
    return data || {};
  }
  const get = (path) => api('GET', path);
  const post = (path, body) => api('POST', path, body === undefined ? {} : body);

  function qs(params) {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
    const s = u.toString();
    return s ? '?' + s : '';
  }

  // ------------------------------------------------------------------ roles

  const role = () => (S.me && S.me.role) || '';
  const isInspector = () => role() === 'inspector';
  const isAdmin = () => role() === 'administrator';
  const isStaff = () => !!(S.me && S.me.department_id) && !isInspector() && !isAdmin();

  // ------------------------------------------------------------------ session

  function showLogin(message, isError) {
    document.body.classList.add('logged-out');
    document.body.classList.remove('logged-in');
    $('#app-view').hidden = true;
    $('#login-view').hidden = false;
    const box = $('#login-error');
    box.textContent = message || '';
    box.hidden = !message;
    box.classList.toggle('info', !!message && !isError);
    $('#login-password').value = '';
    setTimeout(() => $('#login-user').focus(), 0);
  }

  function showApp() {
    document.body.classList.remove('logged-out');
    document.body.classList.add('logged-in');
    $('#login-view').hidden = true;
    $('#app-view').hidden = false;
    renderUser();
  }

  function renderUser() {
    const label = $('#user-label');
    label.textContent = '';
    if (!S.me) return;
    append(label, [
      h('span', { class: 'user-name' }, S.me.name || S.me.user_id),
      h('span', { class: 'user-role' }, roleName(S.me.role) +
        (S.me.department_id ? ' · ' + deptName(S.me.department_id) : '')),
    ]);
    label.title = S.me.user_id;
  }

  function clearSession() {
    stopStream();
    S.token = '';
    S.me = null;
    S.board = null;
    S.boardAt = null;
    S.alerts = [];
    S.alertIds = new Set();
    S.alertsLoaded = false;
    S.alertsError = '';
    S.unseen = 0;
    S.catalogueLoaded = false;
    S.issuedNotices = new Map();
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ME_KEY);
    updateBadge();
    $('#view').textContent = '';
  }

  // The token is no longer valid (401, or the stream said the session ended).
  function sessionEnded() {
    if (!S.token) return;
    clearSession();
    showLogin(t('login.expired'), true);
  }

  async function login(userId, password) {
    const data = await api('POST', '/v1/login', { user_id: userId, password });
    S.token = data.token;
    sessionStorage.setItem(TOKEN_KEY, S.token);
    S.me = data.user || { user_id: userId };
    try {
      S.me = Object.assign({}, S.me, await get('/v1/me'));
    } catch (e) { /* the login's own user record is enough */ }
    sessionStorage.setItem(ME_KEY, JSON.stringify(S.me));
  }

  async function logout() {
    const token = S.token;
    stopStream();
    if (token) {
      try { await post('/v1/logout'); } catch (e) { /* the session is dropped either way */ }
    }
    clearSession();
    // The next person starts at the board (after an expired session one returns to the page).
    history.replaceState(null, '', location.pathname + location.search + '#/board');
    showLogin(t('login.loggedout'), false);
  }

  async function startSession() {
    showApp();
    startStream();
    loadCatalogue().then(() => { renderUser(); rerender(); });
    render();
  }

  async function loadCatalogue() {
    const [deps, items] = await Promise.allSettled([get('/v1/departments'), get('/v1/items')]);
    if (deps.status === 'fulfilled') {
      for (const d of deps.value.departments || []) S.departments.set(d.department_id, d.name || '');
    }
    if (items.status === 'fulfilled') {
      for (const it of items.value.items || []) {
        const def = it.definition || {};
        if (def.item_code) S.items.set(def.item_code, def.name || '');
      }
    }
    S.catalogueLoaded = true;
  }

  // ------------------------------------------------------------------ live stream (SSE over fetch)

  function setLive(state, retrySeconds) {
    const el = $('#live');
    el.dataset.state = state;
    const text = { on: 'live.on', connecting: 'live.connecting', retry: 'live.retry', off: 'live.off' }[state];
    const label = $('.live-text', el);
    label.dataset.i18n = text;
    label.textContent = t(text);
    el.title = state === 'on' ? t('live.title.on') : state === 'retry' ? t('live.title.retry', { s: retrySeconds }) : '';
  }

  function stopStream() {
    S.streamGen++;
    if (S.stream) {
      S.stream.controller.abort();
      S.stream = null;
    }
    setLive('off');
  }

  function startStream() {
    stopStream();
    const gen = S.streamGen;
    streamLoop(gen);
  }

  const sleep = (msec) => new Promise((r) => setTimeout(r, msec));

  async function streamLoop(gen) {
    let backoff = 1000;
    let connectedBefore = false;
    while (gen === S.streamGen && S.token) {
      const controller = new AbortController();
      S.stream = { controller };
      setLive('connecting');
      let lastByte = Date.now();
      // No byte for this long (the gateway comments every 15 s): the connection is dead.
      const watchdog = setInterval(() => {
        if (Date.now() - lastByte > 45000) controller.abort();
      }, 5000);
      let ended = null;
      try {
        const res = await fetch(apiUrl('/v1/events:stream'), {
          headers: { Authorization: 'Bearer ' + S.token, Accept: 'text/event-stream' },
          cache: 'no-store',
          signal: controller.signal,
        });
        if (res.status === 401) { clearInterval(watchdog); sessionEnded(); return; }
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        setLive('on');
        backoff = 1000;
        if (connectedBefore) refreshAfterReconnect();
        connectedBefore = true;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = sseParser((type, data) => {
          if (gen !== S.streamGen) return;
          if (type === 'end') ended = data;
          else onStreamEvent(type, data);
        });
        for (;;) {
          const { value, done } = await reader.read();
          if (done || gen !== S.streamGen) break;
          lastByte = Date.now();
          parser(value);
          if (ended !== null) { controller.abort(); break; }
        }
      } catch (e) {
        // aborted or network error: retried below
      } finally {
        clearInterval(watchdog);
      }
      if (gen !== S.streamGen || !S.token) return;
      if (ended !== null) {
        // The session ended (logout elsewhere, expiry), or the gateway could not read the
        // board: ask who we are; a 401 there takes us back to the login form.
        try { await get('/v1/me'); } catch (e) { if (e.status === 401) return; }
      }
      const wait = Math.min(backoff, 30000) + Math.floor(Math.random() * 500);
      setLive('retry', Math.round(wait / 1000));
      await sleep(wait);
      backoff = Math.min(backoff * 2, 30000);
    }
  }

  // text/event-stream: "event:", "data:" (several joined by \n), comments (":"), blank line
  // dispatches. Returns a function to feed decoded text chunks to.
  function sseParser(dispatch) {
    let buffer = '';
    let type = '';
    let data = [];
    return (chunk) => {
      buffer += chunk;
      for (;;) {
        const i = buffer.search(/\r\n|\r|\n/);
        if (i < 0) break;
        // A lone \r at the very end may be the first half of \r\n: wait for more.
        if (buffer[i] === '\r' && i === buffer.length - 1) break;
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + (buffer[i] === '\r' && buffer[i + 1] === '\n' ? 2 : 1));
        if (line === '') {
          if (data.length) {
            const text = data.join('\n');
            let parsed = null;
            try { parsed = JSON.parse(text); } catch (e) { parsed = text; }
            dispatch(type || 'message', parsed);
          }
          type = '';
          data = [];
          continue;
        }
        if (line[0] === ':') continue;  // comment (keep-alive)
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value[0] === ' ') value = value.slice(1);
        if (field === 'event') type = value;
        else if (field === 'data') data.push(value);
      }
    };
  }

  function onStreamEvent(type, data) {
    if (type === 'board' && data && typeof data === 'object') {
      S.board = data;
      S.boardAt = new Date();
      onBoardChanged();
    } else if (type === 'alert' && data && typeof data === 'object') {
      if (addAlert(data, true)) onAlertArrived(data);
    }
  }

  // After a reconnect, alerts raised while we were away are fetched again.
  function refreshAfterReconnect() {
    if (S.alertsLoaded) loadAlerts().then(() => { if (S.route.name === 'alerts') rerender(); });
  }

  // ------------------------------------------------------------------ alerts store

  // S.alerts keeps the order in which supervision raised them (GET /v1/alerts order, then live
  // arrivals); pages show them newest first. occurred_at is the threshold instant, which need
  // not follow that order.
  function addAlert(alert, live) {
    if (!alert.alert_id || S.alertIds.has(alert.alert_id)) return false;
    S.alertIds.add(alert.alert_id);
    alert.__live = !!live;
    S.alerts.push(alert);
    return true;
  }
  const newestAlerts = () => S.alerts.slice().reverse();

  async function loadAlerts() {
    S.alertsError = '';
    const session = S.token;
    try {
      const fetched = [];
      let token = '';
      for (let page = 0; page < 20; page++) {
        const data = await get('/v1/alerts' + qs({ page_size: 500, page_token: token }));
        fetched.push(...(data.alerts || []));
        token = data.next_page_token || '';
        if (!token) break;
      }
      if (S.token !== session) return;
      const known = new Map(S.alerts.map((a) => [a.alert_id, a]));
      const ids = new Set(fetched.map((a) => a.alert_id));
      const merged = fetched.map((a) => Object.assign(a, { __live: !!(known.get(a.alert_id) || {}).__live }));
      for (const a of S.alerts) if (!ids.has(a.alert_id)) merged.push(a);
      S.alerts = merged;
      S.alertIds = new Set(merged.map((a) => a.alert_id));
    } catch (e) {
      if (e.status === 401) return;
      S.alertsError = e.message;
    }
    S.alertsLoaded = true;
  }

  function updateBadge() {
    const badge = $('#alert-badge');
    badge.textContent = S.unseen > 99 ? '99+' : String(S.unseen);
    badge.hidden = S.unseen === 0;
  }

  function onAlertArrived(alert) {
    if (S.route.name !== 'alerts') { S.unseen++; updateBadge(); }
    toast(alertToastTitle(alert), alertText(alert), alert.case_id ? '#/case/' + encodeURIComponent(alert.case_id) : null,
      alert.kind === 'ALERT_KIND_ANOMALY' ? 'anomaly' : lightClass(alert.light));
    if (S.route.name === 'alerts') renderAlertsList();
    if (S.route.name === 'board') renderLatestAlerts();
    if (S.route.name === 'case' && S.route.params.id === alert.case_id) scheduleCaseRefresh();
  }

  // The alert in words of the current language (the service's own message is English; it
  // stays available as the tooltip).
  function alertText(a) {
    if (a.kind === 'ALERT_KIND_ANOMALY') return t('alerts.anomaly.text', { what: tv('anomaly.', a.anomaly) });
    const prefix = (a.clock_id || '').split('/')[0];
    const kind = { case: 'CLOCK_KIND_CASE', step: 'CLOCK_KIND_STEP', procedure: 'CLOCK_KIND_PROCEDURE', notice: 'CLOCK_KIND_NOTICE' }[prefix];
    const what = kind ? t('kind.' + kind) : t('alerts.clock');
    const key = { LIGHT_RED: 'alerts.text.red', LIGHT_YELLOW: 'alerts.text.yellow', LIGHT_GREEN: 'alerts.text.green' }[a.light];
    return key ? t(key, { what }) : a.message || '';
  }

  function alertToastTitle(a) {
    const what = a.kind === 'ALERT_KIND_ANOMALY' ? tv('anomaly.', a.anomaly) : tv('light.', a.light);
    return [a.case_number || a.case_id, what, deptName(a.department_id)].filter(Boolean).join(' · ');
  }

  // ------------------------------------------------------------------ toasts

  function toast(title, body, href, tone) {
    const box = $('#toasts');
    const el = h(href ? 'a' : 'div', { class: 'toast tone-' + (tone || 'info'), href: href || undefined, role: 'status' },
      h('strong', null, title), body ? h('span', null, body) : null);
    box.prepend(el);
    while (box.children.length > 4) box.lastChild.remove();
    setTimeout(() => el.classList.add('leaving'), 7000);
    setTimeout(() => el.remove(), 7600);
  }

  // ------------------------------------------------------------------ routing

  function parseRoute() {
    const hash = location.hash.replace(/^#\/?/, '');
    const [path, query] = hash.split('?');
    const params = Object.fromEntries(new URLSearchParams(query || ''));
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'case' && parts[1]) return { name: 'case', params: Object.assign(params, { id: parts[1] }) };
    if (parts[0] === 'cases') return { name: 'cases', params };
    if (parts[0] === 'alerts') return { name: 'alerts', params };
    return { name: 'board', params };
  }

  function render() {
    if (!S.token) return;
    S.route = parseRoute();
    const seq = ++S.renderSeq;
    for (const a of $$('[data-nav]')) a.classList.toggle('active', a.dataset.nav === S.route.name ||
      (S.route.name === 'case' && a.dataset.nav === 'cases'));
    const view = $('#view');
    view.textContent = '';
    view.dataset.view = S.route.name;
    if (S.route.name === 'board') renderBoardView(view);
    else if (S.route.name === 'cases') renderCasesView(view, seq);
    else if (S.route.name === 'alerts') renderAlertsView(view, seq);
    else if (S.route.name === 'case') renderCaseView(view, seq, S.route.params.id);
  }
  // Re-render in place (language switch, catalogue loaded): keeps the scroll position.
  function rerender() {
    const y = window.scrollY;
    render();
    window.scrollTo(0, y);
  }
  const current = (seq) => seq === S.renderSeq;

  function errorBox(message) {
    return h('div', { class: 'error-box', role: 'alert' }, t('error.generic', { m: message }));
  }
  function lightClass(light) {
    return { LIGHT_GREEN: 'green', LIGHT_YELLOW: 'yellow', LIGHT_RED: 'red' }[light] || 'none';
  }
  function lightBadge(light) {
    return h('span', { class: 'light-badge light-' + lightClass(light), dataset: { light: light || '' } },
      h('span', { class: 'lamp' }), tv('light.', light || 'LIGHT_UNSPECIFIED'));
  }
  function caseLink(caseId, label) {
    return h('a', { href: '#/case/' + encodeURIComponent(caseId), class: 'case-link' }, label || caseId);
  }
  function sectionHead(title, extra) {
    return h('div', { class: 'section-head' }, h('h2', null, title), extra || null);
  }

  // ------------------------------------------------------------------ board

  function boardRows() {
    const rows = new Map();
    const staff = isStaff();
    if (!staff) for (const id of S.departments.keys()) rows.set(id, { department_id: id, green: 0, yellow: 0, red: 0, anomalies: 0 });
    else rows.set(S.me.department_id, { department_id: S.me.department_id, green: 0, yellow: 0, red: 0, anomalies: 0 });
    for (const d of (S.board && S.board.departments) || []) {
      rows.set(d.department_id, {
        department_id: d.department_id,
        green: num(d.green), yellow: num(d.yellow), red: num(d.red), anomalies: num(d.anomalies),
      });
    }
    const order = new Map(((S.board && S.board.departments) || []).map((d, i) => [d.department_id, i]));
    return Array.from(rows.values()).sort((a, b) =>
      b.red - a.red || b.yellow - a.yellow || b.anomalies - a.anomalies ||
      (order.has(a.department_id) ? order.get(a.department_id) : 1e9) - (order.has(b.department_id) ? order.get(b.department_id) : 1e9) ||
      deptName(a.department_id).localeCompare(deptName(b.department_id)));
  }

  function renderBoardView(view) {
    const intro = h('div', { class: 'page-head' },
      h('div', null, h('h1', null, t('board.title')), h('p', { class: 'muted' }, t('board.sub'))),
      h('div', { class: 'board-updated', id: 'board-updated' }));
    const notes = [];
    if (isAdmin()) notes.push(h('p', { class: 'note' }, t('readonly')));
    if (isStaff()) notes.push(h('p', { class: 'note' }, t('staffview', { d: deptName(S.me.department_id) })));
    const layout = h('div', { class: 'board-layout' },
      h('div', { class: 'board-main' },
        h('div', { class: 'totals', id: 'board-totals' }),
        h('div', { class: 'tiles', id: 'board-tiles' })),
      h('aside', { class: 'board-side panel' },
        sectionHead(t('board.latest'), h('a', { href: '#/alerts', class: 'more' }, t('nav.alerts') + ' →')),
        h('ol', { class: 'latest-alerts', id: 'latest-alerts' })));
    append(view, [intro, notes, layout]);
    renderBoardTiles();
    renderLatestAlerts();
    if (!S.alertsLoaded && !isStaff()) loadAlerts().then(() => { if (S.route.name === 'board') renderLatestAlerts(); });
  }

  function renderBoardTiles() {
    const tiles = $('#board-tiles');
    if (!tiles) return;
    const previous = new Map($$('.tile', tiles).map((el) => [el.dataset.dept, {
      red: el.dataset.red, yellow: el.dataset.yellow, green: el.dataset.green, anomalies: el.dataset.anomalies,
    }]));
    tiles.textContent = '';
    const totals = { green: 0, yellow: 0, red: 0, anomalies: 0 };
    if (!S.board) {
      tiles.appendChild(h('p', { class: 'muted waiting' }, t('board.waiting')));
    } else {
      const rows = boardRows();
      if (!rows.length) tiles.appendChild(h('p', { class: 'muted' }, t('board.empty')));
      for (const r of rows) {
        for (const k of Object.keys(totals)) totals[k] += r[k];
        const worst = r.red ? 'red' : r.yellow ? 'yellow' : r.green ? 'green' : 'idle';
        const all = r.green + r.yellow + r.red;
        const before = previous.get(r.department_id);
        const count = (kind, light) => {
          const changed = before && String(before[kind]) !== String(r[kind]);
          const href = light
            ? '#/cases' + qs({ light, department_id: r.department_id })
            : '#/alerts' + qs({ department_id: r.department_id, kind: 'ALERT_KIND_ANOMALY' });
          return h('a', {
            class: 'count count-' + kind + (r[kind] ? ' nonzero' : '') + (changed ? ' changed' : ''),
            href, dataset: { count: kind },
            title: light ? t('board.open', { light: t('light.' + light) }) : t('board.anomalies.open'),
          }, h('span', { class: 'n' }, String(r[kind])), h('span', { class: 'l' }, t('board.' + kind)));
        };
        const bar = h('div', { class: 'bar', 'aria-hidden': 'true' },
          ['red', 'yellow', 'green'].map((k) => (r[k] ? h('span', { class: 'seg seg-' + k, style: { flexGrow: String(r[k]) } }) : null)));
        tiles.appendChild(h('article', {
          class: 'tile tile-' + worst,
          dataset: { dept: r.department_id, red: r.red, yellow: r.yellow, green: r.green, anomalies: r.anomalies },
        },
        h('header', null,
          h('h3', null, deptName(r.department_id)),
          h('span', { class: 'dept-id' }, r.department_id)),
        h('div', { class: 'counts' },
          count('red', 'LIGHT_RED'), count('yellow', 'LIGHT_YELLOW'), count('green', 'LIGHT_GREEN'),
          count('anomalies', null)),
        all ? bar : h('div', { class: 'bar empty', 'aria-hidden': 'true' })));
      }
    }
    const tot = $('#board-totals');
    if (tot) {
      tot.textContent = '';
      append(tot, [
        h('span', { class: 'total-label' }, t('board.total')),
        ['red', 'yellow', 'green', 'anomalies'].map((k) =>
          h('span', { class: 'total total-' + k, dataset: { total: k } }, h('b', null, String(totals[k])), ' ', t('board.' + k))),
      ]);
    }
    const upd = $('#board-updated');
    if (upd) upd.textContent = S.boardAt ? t('board.updated', { t: fmtClock(S.boardAt) }) : '';
  }

  function renderLatestAlerts() {
    const list = $('#latest-alerts');
    if (!list) return;
    list.textContent = '';
    const latest = newestAlerts().slice(0, 8);
    if (!latest.length) {
      list.appendChild(h('li', { class: 'muted empty' }, isStaff() ? t('board.noalerts') : S.alertsError || t('board.noalerts')));
      return;
    }
    for (const a of latest) list.appendChild(alertItem(a));
  }

  function alertItem(a) {
    const tone = a.kind === 'ALERT_KIND_ANOMALY' ? 'anomaly' : lightClass(a.light);
    return h('li', {
      class: 'alert-item tone-' + tone + (a.__live ? ' live' : ''),
      dataset: { alertId: a.alert_id, caseId: a.case_id || '', light: a.light || '', kind: a.kind || '' },
    },
      h('span', { class: 'alert-mark' }),
      h('div', { class: 'alert-body' },
        h('div', { class: 'alert-title' },
          a.case_id ? caseLink(a.case_id, a.case_number || a.case_id) : null,
          h('span', { class: 'alert-what' }, a.kind === 'ALERT_KIND_ANOMALY' ? tv('anomaly.', a.anomaly) : tv('light.', a.light)),
          h('span', { class: 'alert-dept' }, deptName(a.department_id))),
        h('div', { class: 'alert-msg', title: a.message || '' }, alertText(a),
          a.responsible_person ? h('span', { class: 'muted' }, ' · ' + a.responsible_person) : null),
        h('time', { class: 'alert-time', datetime: a.occurred_at || '' }, fmtTime(a.occurred_at))));
  }

  function onBoardChanged() {
    if (S.route.name === 'board') renderBoardTiles();
    else if (S.route.name === 'cases') {
      const bar = $('#cases-changed');
      if (bar) bar.hidden = false;
    } else if (S.route.name === 'case') scheduleCaseRefresh();
  }

  // ------------------------------------------------------------------ case lists

  const LIGHTS = ['LIGHT_RED', 'LIGHT_YELLOW', 'LIGHT_GREEN'];

  function renderCasesView(view, seq) {
    const p = S.route.params;
    const light = LIGHTS.includes(p.light) ? p.light : 'LIGHT_RED';
    const staff = isStaff();
    const department = staff ? S.me.department_id : (p.department_id || '');
    const pageSize = ['20', '50', '100'].includes(p.page_size) ? p.page_size : '20';
    const filters = { light, department_id: department, item_code: p.item_code || '', from: p.from || '', to: p.to || '', page_size: pageSize };

    const key = JSON.stringify(filters);
    if (S.casesPaging.key !== key) S.casesPaging = { key, tokens: [''], index: 0 };
    const paging = S.casesPaging;

    const select = (name, options, value, disabled) => h('select', { name, disabled },
      options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
    const form = h('form', { class: 'filters panel', id: 'cases-filters' },
      h('label', null, h('span', null, t('cases.light')), select('light', LIGHTS.map((l) => [l, t('light.' + l)]), light)),
      h('label', null, h('span', null, t('cases.department')),
        select('department_id', [['', t('cases.all')]].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)])),
          department, staff)),
      h('label', null, h('span', null, t('cases.item')),
        select('item_code', [['', t('cases.all')]].concat(Array.from(S.items.keys()).sort().map((c) => [c, c + ' ' + itemName(c)])), filters.item_code)),
      h('label', null, h('span', null, t('cases.from')), h('input', { type: 'date', name: 'from', value: filters.from })),
      h('label', null, h('span', null, t('cases.to')), h('input', { type: 'date', name: 'to', value: filters.to })),
      h('label', { class: 'narrow' }, h('span', null, t('cases.pagesize')), select('page_size', [['20', '20'], ['50', '50'], ['100', '100']], pageSize)),
      h('div', { class: 'filter-actions' },
        h('button', { type: 'submit', class: 'primary' }, t('cases.apply')),
        h('button', { type: 'button', class: 'ghost', onclick: () => { location.hash = '#/cases'; } }, t('cases.reset'))));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const fd = new FormData(form);
      const q = {};
      for (const [k, v] of fd.entries()) if (v) q[k] = v;
      if (staff) delete q.department_id;
      location.hash = '#/cases' + qs(q);
    });
    // Selects apply at once.
    for (const s of $$('select', form)) s.addEventListener('change', () => form.requestSubmit());

    const changed = h('div', { class: 'changed-bar', id: 'cases-changed', hidden: true },
      t('cases.changed'), ' ', h('button', { type: 'button', class: 'link', onclick: () => { S.casesPaging.key = ''; rerender(); } }, t('cases.reload')));
    const body = h('div', { class: 'cases-body panel' }, h('p', { class: 'muted' }, t('case.loading')));
    append(view, [
      h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('cases.title'), ' · ', lightBadge(light)))),
      staff ? h('p', { class: 'note' }, t('staffview', { d: deptName(department) })) : null,
      form, changed, body,
    ]);

    const query = {
      light, department_id: staff ? undefined : department, item_code: filters.item_code,
      started_from: filters.from ? new Date(dateStartMs(filters.from)).toISOString() : '',
      started_to: filters.to ? new Date(dateStartMs(filters.to) + DAY_MS).toISOString() : '',
      page_size: pageSize, page_token: paging.tokens[paging.index],
    };
    get('/v1/clocks' + qs(query)).then((data) => {
      if (!current(seq)) return;
      body.textContent = '';
      const clocks = data.clocks || [];
      if (data.next_page_token) paging.tokens[paging.index + 1] = data.next_page_token;
      else paging.tokens.length = paging.index + 1;
      if (!clocks.length) body.appendChild(h('p', { class: 'muted empty' }, t('cases.none')));
      else body.appendChild(clocksTable(clocks));
      const prev = h('button', { type: 'button', class: 'ghost', disabled: paging.index === 0,
        onclick: () => { paging.index--; rerender(); } }, '← ' + t('cases.prev'));
      const next = h('button', { type: 'button', class: 'ghost', disabled: !data.next_page_token,
        onclick: () => { paging.index++; rerender(); } }, t('cases.next') + ' →');
      body.appendChild(h('div', { class: 'pager' }, prev,
        h('span', { class: 'muted' }, t('cases.page', { n: paging.index + 1 }), ' · ', t('cases.count', { n: clocks.length })), next));
    }).catch((e) => {
      if (!current(seq)) return;
      body.textContent = '';
      body.appendChild(errorBox(e.message));
    });
  }

  function clockStatus(c) {
    if (c.finished_at) return h('span', { class: 'status finished' }, t('status.finished'));
    if (c.paused) return h('span', { class: 'status paused' }, t('status.paused'));
    return h('span', { class: 'status running' }, t('status.running'));
  }

  function clocksTable(clocks) {
    const head = h('tr', null, ['col.case_number', 'col.item', 'col.department', 'col.responsible', 'col.started',
      'col.yellow', 'col.due', 'col.light', 'col.status'].map((k) => h('th', { scope: 'col' }, t(k))));
    const rows = clocks.map((c) => {
      const tr = h('tr', { class: 'row-link row-' + lightClass(c.light), dataset: { caseId: c.case_id || '', caseNumber: c.case_number || '' } },
        h('td', { class: 'mono' }, caseLink(c.case_id, c.case_number || c.case_id)),
        h('td', null, h('span', { class: 'mono muted' }, c.item_code || ''), ' ', itemName(c.item_code) !== c.item_code ? itemName(c.item_code) : ''),
        h('td', null, deptName(c.department_id)),
        h('td', null, c.responsible_person || '—'),
        h('td', { class: 'nowrap' }, fmtTime(c.started_at)),
        h('td', { class: 'nowrap' }, fmtTime(c.yellow_at)),
        h('td', { class: 'nowrap' }, fmtTime(c.due)),
        h('td', null, lightBadge(c.light)),
        h('td', null, clockStatus(c)));
      tr.addEventListener('click', (ev) => {
        if (ev.target.closest('a')) return;
        location.hash = '#/case/' + encodeURIComponent(c.case_id);
      });
      return tr;
    });
    return h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'cases-table' }, h('thead', null, head), h('tbody', null, rows)));
  }

  // ------------------------------------------------------------------ alerts page

  function renderAlertsView(view, seq) {
    S.unseen = 0;
    updateBadge();
    const p = S.route.params;
    const kinds = [['', t('alerts.all')], ['ALERT_KIND_LIGHT', t('alerts.light')], ['ALERT_KIND_ANOMALY', t('alerts.anomaly')]];
    const form = h('form', { class: 'filters panel', id: 'alerts-filters' },
      h('label', null, h('span', null, t('alerts.kind')),
        h('select', { name: 'kind' }, kinds.map(([v, l]) => h('option', { value: v, selected: (p.kind || '') === v }, l)))),
      h('label', null, h('span', null, t('cases.department')),
        h('select', { name: 'department_id' }, [['', t('cases.all')]].concat(Array.from(S.departments.keys()).map((id) => [id, deptName(id)]))
          .map(([v, l]) => h('option', { value: v, selected: (p.department_id || '') === v }, l)))));
    for (const s of $$('select', form)) {
      s.addEventListener('change', () => {
        const q = {};
        for (const [k, v] of new FormData(form).entries()) if (v) q[k] = v;
        location.hash = '#/alerts' + qs(q);
      });
    }
    append(view, [
      h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('alerts.title')), h('p', { class: 'muted' }, t('alerts.sub')))),
      form,
      h('div', { class: 'panel' }, h('ol', { class: 'alert-list', id: 'alert-list' }, h('li', { class: 'muted' }, t('case.loading')))),
    ]);
    if (S.alertsLoaded) renderAlertsList();
    else loadAlerts().then(() => { if (current(seq)) renderAlertsList(); });
  }

  function renderAlertsList() {
    const list = $('#alert-list');
    if (!list) return;
    const p = S.route.params;
    list.textContent = '';
    if (S.alertsError) list.appendChild(h('li', null, errorBox(S.alertsError)));
    const shown = newestAlerts().filter((a) => (!p.kind || a.kind === p.kind) && (!p.department_id || a.department_id === p.department_id));
    if (!shown.length && !S.alertsError) list.appendChild(h('li', { class: 'muted empty' }, t('alerts.none')));
    for (const a of shown.slice(0, 500)) list.appendChild(alertItem(a));
  }

  // ------------------------------------------------------------------ case page

  let caseRefreshTimer = null;
  function scheduleCaseRefresh() {
    clearTimeout(caseRefreshTimer);
    caseRefreshTimer = setTimeout(() => {
      if (S.route.name === 'case') refreshCaseLive(S.renderSeq, S.route.params.id);
    }, 400);
  }

  function renderCaseView(view, seq, caseId) {
    const head = h('div', { class: 'case-head panel', id: 'case-head' }, h('p', { class: 'muted' }, t('case.loading')));
    const clocks = h('section', { class: 'panel', id: 'case-clocks' }, sectionHead(t('case.clocks')), h('p', { class: 'muted' }, t('case.loading')));
    const notices = h('section', { class: 'panel', id: 'case-notices' }, sectionHead(t('case.notices')));
    const timeline = h('section', { class: 'panel', id: 'case-timeline' }, sectionHead(t('case.timeline')), h('p', { class: 'muted' }, t('case.loading')));
    const steps = h('section', { class: 'panel', id: 'case-steps' }, sectionHead(t('case.steps')));
    const alerts = h('section', { class: 'panel', id: 'case-alerts' }, sectionHead(t('case.alerts')));
    append(view, [
      h('div', { class: 'crumbs' }, h('a', { href: '#', class: 'back', onclick: (ev) => { ev.preventDefault(); if (history.length > 1) history.back(); else location.hash = '#/cases'; } }, '← ' + t('case.back'))),
      head,
      h('div', { class: 'case-grid' },
        h('div', { class: 'case-col main' }, clocks, timeline),
        h('div', { class: 'case-col side' }, notices, alerts, steps)),
    ]);

    const caseP = get('/v1/cases/' + encodeURIComponent(caseId) + '?include_history=true');
    const processP = get('/v1/cases/' + encodeURIComponent(caseId) + '/process?include_history=true').catch((e) => ({ __error: e }));
    const clocksP = get('/v1/cases/' + encodeURIComponent(caseId) + '/clocks').catch((e) => ({ __error: e }));
    const alertsP = get('/v1/alerts' + qs({ case_id: caseId, page_size: 100 })).catch((e) => ({ __error: e }));

    caseP.then(async (data) => {
      if (!current(seq)) return;
      const c = data.case || {};
      const [proc, clk, al] = await Promise.all([processP, clocksP, alertsP]);
      if (!current(seq)) return;
      const process = proc.__error ? null : proc.process || null;
      const explained = clk.__error ? [] : clk.clocks || [];
      renderCaseHead(head, c, process, explained);
      renderClocks(clocks, explained, process, clk.__error);
      renderTimeline(timeline, data.history || [], proc.__error ? [] : proc.history || []);
      renderSteps(steps, process, proc.__error);
      renderCaseAlerts(alerts, al.__error ? null : al.alerts || [], al.__error);
      await renderNotices(notices, seq, c, explained);
    }).catch((e) => {
      if (!current(seq)) return;
      head.textContent = '';
      head.appendChild(errorBox(e.message));
      for (const s of [clocks, timeline]) { const m = $('p.muted', s); if (m) m.remove(); }
    });
  }

  // A light changed or an alert arrived for the case shown: redraw its clocks, alerts and
  // notices without touching forms being filled in.
  async function refreshCaseLive(seq, caseId, force) {
    try {
      const [clk, al] = await Promise.all([
        get('/v1/cases/' + encodeURIComponent(caseId) + '/clocks'),
        get('/v1/alerts' + qs({ case_id: caseId, page_size: 100 })).catch(() => null),
      ]);
      if (!current(seq)) return;
      const explained = clk.clocks || [];
      const processData = S.caseProcess && S.caseProcess.case_id === caseId ? S.caseProcess : null;
      renderClocks($('#case-clocks'), explained, processData);
      const light = caseLight(explained);
      const badge = $('#case-light');
      if (badge) badge.replaceWith(Object.assign(lightBadge(light), { id: 'case-light' }));
      if (al) renderCaseAlerts($('#case-alerts'), al.alerts || []);
      const typing = document.activeElement && document.activeElement.closest && document.activeElement.closest('#case-notices');
      if ((force || !typing) && S.caseShown) await renderNotices($('#case-notices'), seq, S.caseShown, explained);
    } catch (e) { /* the next change tries again */ }
  }

  function caseLight(explained) {
    const c = explained.map((e) => e.clock || {}).find((c) => c.kind === 'CLOCK_KIND_CASE');
    return c ? c.light : '';
  }

  function fact(label, value, attrs) {
    if (value === undefined || value === null || value === '') return null;
    return h('div', Object.assign({ class: 'fact' }, attrs || {}), h('dt', null, label), h('dd', null, value));
  }

  function renderCaseHead(head, c, process, explained) {
    S.caseShown = c;
    S.caseProcess = process;
    head.textContent = '';
    head.dataset.caseId = c.case_id || '';
    const receipt = c.receipt || {};
    const light = caseLight(explained);
    const title = h('div', { class: 'case-title' },
      h('h1', { id: 'case-number' }, c.case_number || c.case_id),
      light ? Object.assign(lightBadge(light), { id: 'case-light' }) : h('span', { id: 'case-light' }),
      h('span', { class: 'state-chip' }, tv('state.', c.state)),
      process && process.state ? h('span', { class: 'state-chip' }, tv('pstate.', process.state)) : null);
    const sub = h('p', { class: 'case-sub' },
      h('span', { class: 'mono' }, c.item_code || ''), ' ', itemName(c.item_code),
      c.subject ? [' · ', h('strong', null, c.subject)] : null);
    const facts = h('dl', { class: 'facts' },
      fact(t('col.department'), deptName(c.department_id)),
      fact(t('case.applicant'), c.applicant ? [c.applicant.name || '', c.applicant.id_number ? ' ' : '', c.applicant.id_number ? h('span', { class: 'mono muted' }, c.applicant.id_number) : null] : ''),
      fact(t('case.channel'), tv('channel.', c.channel)),
      fact(t('case.submitted'), fmtTime(c.submitted_at)),
      fact(t('case.accepted'), fmtTime(receipt.accepted_at)),
      fact(t('case.window'), receipt.window_id),
      fact(t('case.receipt'), receipt.receipt_number ? h('span', { class: 'mono' }, receipt.receipt_number) : ''),
      fact(t('case.current_due'), fmtTime(c.current_due || receipt.promised_due)));
    append(head, [title, sub, facts]);
    if (isAdmin()) head.appendChild(h('p', { class: 'note' }, t('readonly')));
  }

  function clockTitle(c, process) {
    const kind = tv('kind.', c.kind);
    const id = c.clock_id || '';
    if (c.kind === 'CLOCK_KIND_STEP' && process) {
      const stepId = id.replace(/^step\//, '');
      const step = (process.steps || []).find((s) => s.step_id === stepId);
      if (step) return kind + ' · ' + localName(step.name || step.code);
    }
    if (c.kind === 'CLOCK_KIND_NOTICE') return kind + ' · ' + id.replace(/^notice\//, '');
    if (c.kind === 'CLOCK_KIND_PROCEDURE') return kind + ' · ' + id.replace(/^procedure\//, '');
    return kind;
  }

  const KIND_ORDER = { CLOCK_KIND_CASE: 0, CLOCK_KIND_NOTICE: 1, CLOCK_KIND_PROCEDURE: 2, CLOCK_KIND_STEP: 3 };

  function renderClocks(section, explained, process, error) {
    if (!section) return;
    const open = new Set($$('details.clock-more[open], details.clock-card[open]', section).map((d) => d.dataset.clockId || 'more'));
    section.textContent = '';
    section.appendChild(sectionHead(t('case.clocks')));
    if (error) { section.appendChild(errorBox(error.message)); return; }
    if (!explained.length) { section.appendChild(h('p', { class: 'muted empty' }, t('case.noclocks'))); return; }
    const sorted = explained.slice().sort((a, b) =>
      (KIND_ORDER[(a.clock || {}).kind] ?? 9) - (KIND_ORDER[(b.clock || {}).kind] ?? 9) ||
      (ms((a.clock || {}).started_at) || 0) - (ms((b.clock || {}).started_at) || 0));
    const primary = sorted.filter((e) => (e.clock || {}).kind === 'CLOCK_KIND_CASE');
    const others = sorted.filter((e) => (e.clock || {}).kind !== 'CLOCK_KIND_CASE');
    for (const e of primary) section.appendChild(clockCard(e, process, true));
    if (others.length) {
      const more = h('details', { class: 'clock-more', open: open.has('more') || !primary.length, dataset: { clockId: 'more' } },
        h('summary', null, t('clock.more', { n: others.length }),
          h('span', { class: 'summary-lights' }, others.map((e) => h('span', { class: 'lamp-dot light-' + lightClass((e.clock || {}).light) })))));
      for (const e of others) {
        const card = clockCard(e, process, false);
        if (open.has(card.dataset.clockId)) card.open = true;
        more.appendChild(card);
      }
      section.appendChild(more);
    }
  }

  function clockCard(e, process, primary) {
    const c = e.clock || {};
    const x = e.explanation || {};
    const facts = h('dl', { class: 'facts compact' },
      fact(t('clock.started'), fmtTime(c.started_at)),
      fact(t('clock.limit'), fmtLimit(c.limit) + (num(c.extension_working_days) ? ` (+${num(c.extension_working_days)} ${t('clock.extension')})` : '')),
      c.kind === 'CLOCK_KIND_CASE' ? fact(t('clock.statutory'), fmtLimit(c.statutory_limit)) : null,
      fact(t('clock.yellow_at'), fmtTime(c.yellow_at), { class: 'fact fact-yellow' }),
      fact(t('clock.due'), fmtTime(c.due), { class: 'fact fact-due' }),
      fact(t('clock.red_at'), fmtTime(c.red_at), { class: 'fact fact-red' }),
      fact(t('clock.finished_at'), fmtTime(c.finished_at)),
      x.remaining !== undefined && !c.finished_at ? fact(t('clock.remaining'), fmtWorkingTime(x.remaining)) : null,
      fact(t('clock.responsible'), [deptName(c.department_id), c.responsible_person ? ' · ' + c.responsible_person : ''].join('')),
      fact(t('clock.changed'), fmtTime(c.light_changed_at)),
      fact(t('clock.versions'), h('span', { class: 'mono' }, [c.calendar_version || '—', c.rule_version || '—'].join(' / '))));
    const body = [
      facts,
      c.plan_error ? h('div', { class: 'error-box' }, t('clock.plan_error'), ': ', c.plan_error) : null,
      calendarStrip(c, x),
      e.rule ? h('div', { class: 'explain' }, h('h4', null, t('clock.rule')), h('p', null, e.rule)) : null,
      x.summary ? h('div', { class: 'explain' }, h('h4', null, t('clock.explanation')),
        h('p', null, x.summary), x.provisional ? h('p', { class: 'note' }, t('clock.provisional')) : null) : null,
    ];
    const header = [
      h('span', { class: 'clock-title' }, clockTitle(c, process)),
      lightBadge(c.light),
      c.paused ? h('span', { class: 'status paused' }, t('clock.paused')) : null,
      c.finished_at ? h('span', { class: 'status finished' }, t('status.finished')) : null,
    ];
    const attrs = { class: 'clock-card light-edge-' + lightClass(c.light), dataset: { clockId: c.clock_id || '', kind: c.kind || '', light: c.light || '' } };
    if (primary) return h('article', attrs, h('header', { class: 'clock-head' }, header), body);
    return h('details', attrs, h('summary', { class: 'clock-head' }, header), body);
  }

  // The clock on a calendar strip: one cell per day (in the calendar's time zone) from the
  // acceptance day to the due day as the explanation lists them (counted days filled by the
  // working time they contributed; weekends, holidays and make-up days marked), extended to
  // the red instant and the computation instant, with the pauses and the instants on top.
  const NOTE_KEYS = Object.keys(TEXTS.zh).filter((k) => k.startsWith('note.')).sort((a, b) => b.length - a.length);
  const noteKeyFor = (note) => NOTE_KEYS.find((k) => note.startsWith(k.slice(5))) || '';

  function calendarStrip(c, x) {
    const explainedDays = new Map((x.days || []).map((d) => [d.date, d]));
    const instants = [
      ['start', c.started_at], ['yellow', c.yellow_at], ['due', c.due], ['red', c.red_at],
      ['finished', c.finished_at], ['asof', x.as_of],
    ].filter(([, ts]) => ts && !isNaN(ms(ts)));
    const dates = Array.from(explainedDays.keys()).sort();
    let first = dates[0] || (c.started_at ? calDate(ms(c.started_at)) : null);
    if (!first) return null;
    let last = dates[dates.length - 1] || first;
    for (const [kind, ts] of instants) {
      // An instant at 00:00 belongs to the end of the previous day.
      const d = calDate(kind === 'start' ? ms(ts) : ms(ts) - 1);
      if (d < first && kind === 'start') first = d;
      if (d > last) last = d;
    }
    const startMs = dateStartMs(first);
    let n = Math.round((dateStartMs(last) - startMs) / DAY_MS) + 1;
    // A clock far from its instants (long overdue) keeps a readable strip.
    const maxDays = Math.max(dates.length + 21, 42);
    if (n > maxDays) n = maxDays;
    const spanMs = n * DAY_MS;
    const pct = (t) => Math.max(0, Math.min(100, ((t - startMs) / spanMs) * 100));
    const weekdays = S.lang === 'zh' ? ['日', '一', '二', '三', '四', '五', '六'] : ['Su', 'Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa'];

    const cells = [];
    for (let i = 0; i < n; i++) {
      const dayMs = startMs + i * DAY_MS;
      const date = calDate(dayMs);
      const d = explainedDays.get(date);
      const note = d ? d.note || '' : '';
      let kind = 'beyond';
      if (d) {
        if (note.startsWith('acceptance day')) kind = 'acceptance';
        else if (note.startsWith('make-up working day')) kind = 'makeup';
        else if (note.startsWith('public holiday')) kind = 'holiday';
        else if (note.startsWith('weekend')) kind = 'weekend';
        else if (note.startsWith('natural day')) kind = 'natural';
        else if (note.startsWith('working day')) kind = 'working';
        else kind = d.counted ? 'working' : 'weekend';
      }
      const consumed = d ? durSeconds(d.consumed) : 0;
      const fill = Math.max(0, Math.min(1, consumed / 86400));
      const noteKey = noteKeyFor(note);
      const label = d ? (noteKey ? t(noteKey) : note) : t('strip.beyond');
      const wd = new Date(dayMs + CAL_OFFSET_MS).getUTCDay();
      const rest = note.includes(';') ? note.slice(note.indexOf(';') + 1).trim() : '';
      const tip = `${date} (${weekdays[wd]}) · ${label}` +
        (d && d.counted ? ` · ${Math.round(consumed / 360) / 10} h` : '') + (rest ? ` · ${rest}` : '');
      cells.push(h('div', {
        class: 'day day-' + kind + (d && d.counted ? ' counted' : '') + (note.includes('paused') ? ' has-pause' : '') + (wd === 1 ? ' monday' : ''),
        title: tip, dataset: { date },
      },
      h('span', { class: 'wd' }, weekdays[wd]),
      h('span', { class: 'dn' }, date.slice(8)),
      h('span', { class: 'cell' }, d && d.counted ? h('span', { class: 'used', style: { height: (fill * 100).toFixed(1) + '%' } }) : null,
        kind === 'makeup' ? h('span', { class: 'tag' }, S.lang === 'zh' ? '班' : 'W') : null,
        kind === 'holiday' ? h('span', { class: 'tag' }, S.lang === 'zh' ? '休' : 'H') : null)));
    }

    const overlay = [];
    const pauses = (c.pauses && c.pauses.length ? c.pauses : x.pauses) || [];
    const asOf = ms(x.as_of) || Date.now();
    for (const p of pauses) {
      const a = ms(p.start);
      if (isNaN(a)) continue;
      const b = p.end ? ms(p.end) : asOf;
      const left = pct(a);
      const width = Math.max(pct(b) - left, 0.6);
      overlay.push(h('div', { class: 'pause-band' + (p.end ? '' : ' open'), style: { left: left + '%', width: width + '%' },
        title: `${t('strip.pause')}: ${fmtTime(p.start)} – ${p.end ? fmtTime(p.end) : '…'} ${p.reason ? '(' + p.reason + ')' : ''}` }));
    }
    // Instants at (nearly) the same place share one flag.
    const groups = [];
    for (const [kind, ts] of instants) {
      const at = ms(ts);
      if (at < startMs || at > startMs + spanMs) continue;
      const left = pct(at);
      const g = groups.find((g) => Math.abs(g.left - left) < 0.5);
      if (g) { g.kinds.push(kind); g.times.push(ts); } else groups.push({ left, kinds: [kind], times: [ts] });
    }
    groups.sort((a, b) => a.left - b.left);
    groups.forEach((g, i) => {
      const main = ['red', 'due', 'yellow', 'finished', 'asof', 'start'].find((k) => g.kinds.includes(k));
      const label = g.kinds.map((k) => t('mark.' + k)).join(' / ');
      overlay.push(h('div', {
        class: 'marker marker-' + main + (i % 2 ? ' low' : '') + (g.left > 85 ? ' flip' : ''),
        style: { left: g.left + '%' }, dataset: { marks: g.kinds.join(' ') },
        title: g.kinds.map((k, j) => `${t('mark.' + k)}: ${fmtTime(g.times[j], true)}`).join('\n'),
      }, h('span', { class: 'flag' }, label)));
    });

    const legend = h('div', { class: 'legend' },
      [['working', 'strip.counted'], ['makeup', 'strip.makeup'], ['weekend', 'strip.weekend'], ['holiday', 'strip.holiday'],
        ['acceptance', 'strip.acceptance'], ['pause', 'strip.pause'], ['beyond', 'strip.beyond']]
        .filter(([k]) => k === 'pause' ? pauses.length > 0 : cells.some((el) => el.classList.contains('day-' + k)))
        .map(([k, key]) => h('span', { class: 'key key-' + k }, h('i'), t(key))));

    return h('div', { class: 'strip-wrap' },
      h('div', { class: 'strip-scroll' },
        h('div', { class: 'strip', style: { minWidth: (n * 30) + 'px' }, dataset: { days: String(n) } },
          h('div', { class: 'days', style: { gridTemplateColumns: `repeat(${n}, 1fr)` } }, cells),
          h('div', { class: 'overlay' }, overlay))),
      legend);
  }

  function actorText(a) {
    if (!a) return '';
    const who = a.name || a.id || '';
    const extra = [roleName(a.role), deptName(a.department_id)].filter(Boolean).join(' · ');
    return extra ? `${who} (${extra})` : who;
  }

  // A few payload fields worth a line of their own; the rest is in the details.
  function payloadSummary(p) {
    if (!p || typeof p !== 'object') return '';
    const out = [];
    const pick = (o, path) => path.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), o);
    const add = (v) => { if (v !== undefined && v !== null && v !== '' && typeof v !== 'object') out.push(String(v)); };
    add(pick(p, 'receipt.receipt_number'));
    add(pick(p, 'receipt.window_id'));
    add(pick(p, 'step.name') && localName(pick(p, 'step.name')));
    add(pick(p, 'procedure.type'));
    add(pick(p, 'assignee'));
    add(pick(p, 'step.opinion'));
    add(pick(p, 'step.comment'));
    add(pick(p, 'decision'));
    add(pick(p, 'reasons'));
    add(pick(p, 'reason'));
    add(pick(p, 'certificate_number'));
    const missing = pick(p, 'missing_materials');
    if (Array.isArray(missing)) add(missing.map((m) => m.name || m.code).join('、'));
    return out.join(' · ');
  }

  function renderTimeline(section, intakeHistory, workflowHistory) {
    section.textContent = '';
    section.appendChild(sectionHead(t('case.timeline')));
    const events = intakeHistory.map((e) => Object.assign({ stream: 'intake' }, e))
      .concat(workflowHistory.map((e) => Object.assign({ stream: 'workflow' }, e)));
    events.sort((a, b) => (ms(a.occurred_at) || 0) - (ms(b.occurred_at) || 0) ||
      (a.stream === b.stream ? num(a.sequence) - num(b.sequence) : a.stream === 'intake' ? -1 : 1));
    if (!events.length) { section.appendChild(h('p', { class: 'muted empty' }, t('case.notimeline'))); return; }
    const list = h('ol', { class: 'timeline', id: 'timeline' });
    for (const e of events) {
      const payload = e.payload && typeof e.payload === 'object' ? Object.assign({}, e.payload) : null;
      if (payload) delete payload['@type'];
      const summary = payloadSummary(payload);
      const type = e.type || '';
      list.appendChild(h('li', { class: 'event ev-' + type.split('.').pop() + ' stream-' + (e.stream || ''), dataset: { type, sequence: String(num(e.sequence)) } },
        h('span', { class: 'ev-dot' }),
        h('div', { class: 'ev-main' },
          h('div', { class: 'ev-line' },
            h('strong', { class: 'ev-type' }, tv('ev.', type)),
            h('span', { class: 'ev-code mono' }, type)),
          h('div', { class: 'ev-meta' },
            h('time', { datetime: e.occurred_at || '' }, fmtTime(e.occurred_at, true)),
            e.actor ? [' · ', h('span', { class: 'ev-actor' }, actorText(e.actor))] : null),
          summary ? h('div', { class: 'ev-summary' }, summary) : null,
          payload && Object.keys(payload).length ? h('details', { class: 'ev-payload' },
            h('summary', null, t('case.payload')), h('pre', null, JSON.stringify(payload, null, 2))) : null)));
    }
    section.appendChild(list);
  }

  function renderSteps(section, process, error) {
    section.textContent = '';
    section.appendChild(sectionHead(t('case.steps')));
    if (error && error.status !== 404) { section.appendChild(errorBox(error.message)); return; }
    const steps = (process && process.steps) || [];
    if (!steps.length) { section.appendChild(h('p', { class: 'muted empty' }, t('case.nosteps'))); return; }
    const rows = steps.map((s) => h('tr', { class: 'step-' + (s.state || '').toLowerCase() },
      h('td', null, localName(s.name || s.code), num(s.attempt) > 1 ? ` ×${num(s.attempt)}` : ''),
      h('td', null, deptName(s.department_id), h('br'), h('span', { class: 'muted' }, roleName(s.role))),
      h('td', null, h('span', { class: 'state-chip' }, tv('step.', s.state)), s.assignee ? h('div', { class: 'muted' }, s.assignee) : null),
      h('td', { class: 'nowrap' }, fmtTime(s.started_at), h('br'), h('span', { class: 'muted' }, fmtTime(s.completed_at) || (s.due ? '→ ' + fmtTime(s.due) : '')))));
    section.appendChild(h('div', { class: 'table-wrap' }, h('table', { class: 'data compact' },
      h('thead', null, h('tr', null, ['col.step', 'col.department', 'col.state', 'col.time'].map((k) => h('th', null, t(k))))),
      h('tbody', null, rows))));
  }

  function renderCaseAlerts(section, alerts, error) {
    if (!section) return;
    section.textContent = '';
    section.appendChild(sectionHead(t('case.alerts')));
    if (error) { section.appendChild(errorBox(error.message)); return; }
    const list = (alerts || []).slice().reverse();  // raised order, newest first
    if (!list.length) { section.appendChild(h('p', { class: 'muted empty' }, t('case.noalerts'))); return; }
    section.appendChild(h('ol', { class: 'alert-list compact' }, list.map(alertItem)));
  }

  // ------------------------------------------------------------------ notices (督办)

  async function renderNotices(section, seq, c, explained) {
    if (!section) return;
    const caseId = c.case_id;
    const noticeClocks = new Map();
    for (const e of explained) {
      const clock = e.clock || {};
      if (clock.kind === 'CLOCK_KIND_NOTICE' && (clock.clock_id || '').startsWith('notice/')) noticeClocks.set(clock.clock_id.slice(7), clock);
    }
    const ids = new Set(noticeClocks.keys());
    for (const id of S.issuedNotices.get(caseId) || []) ids.add(id);
    const results = await Promise.all(Array.from(ids).map((id) =>
      get('/v1/notices/' + encodeURIComponent(id)).then((d) => d.notice).catch((e) => ({ notice_id: id, __error: e }))));
    if (!current(seq)) return;
    section.textContent = '';
    section.appendChild(sectionHead(t('case.notices')));
    if (isInspector()) section.appendChild(issueForm(c));
    const notices = results.filter(Boolean).sort((a, b) => (ms(b.issued_at) || 0) - (ms(a.issued_at) || 0));
    if (!notices.length) section.appendChild(h('p', { class: 'muted empty' }, t('case.nonotices')));
    const list = h('div', { class: 'notices', id: 'notices' });
    for (const n of notices) list.appendChild(noticeCard(n, noticeClocks.get(n.notice_id), c));
    section.appendChild(list);
  }

  function issueForm(c) {
    const reason = h('textarea', { name: 'reason', rows: '2', required: true, id: 'notice-reason' });
    reason.value = t('notice.reason.default');
    const amount = h('input', { type: 'number', name: 'amount', min: '1', max: '60', value: '2', required: true, id: 'notice-amount' });
    const unit = h('select', { name: 'unit', id: 'notice-unit' },
      h('option', { value: 'LIMIT_UNIT_WORKING_DAYS' }, t('unit.working')),
      h('option', { value: 'LIMIT_UNIT_NATURAL_DAYS' }, t('unit.natural')));
    const error = h('p', { class: 'error', hidden: true, role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'primary danger', id: 'notice-submit' }, t('notice.submit'));
    const form = h('form', { class: 'issue-form', id: 'issue-notice' },
      h('h3', null, t('notice.issue')),
      h('label', null, h('span', null, t('notice.reason')), reason),
      h('div', { class: 'row' },
        h('label', null, h('span', null, t('notice.limit')), h('span', { class: 'inline' }, amount, unit)),
        submit),
      error);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      submit.disabled = true;
      try {
        const data = await post('/v1/notices', {
          case_id: c.case_id,
          reason: reason.value.trim(),
          response_limit: { amount: Number(amount.value), unit: unit.value },
        });
        const n = data.notice || {};
        if (!S.issuedNotices.has(c.case_id)) S.issuedNotices.set(c.case_id, new Set());
        S.issuedNotices.get(c.case_id).add(n.notice_id);
        toast(t('notice.issued.ok', { id: n.notice_id }), c.case_number || '', null, 'info');
        const seq = S.renderSeq;
        const clk = await get('/v1/cases/' + encodeURIComponent(c.case_id) + '/clocks').catch(() => ({ clocks: [] }));
        if (!current(seq)) return;
        renderClocks($('#case-clocks'), clk.clocks || [], S.caseProcess);
        await renderNotices($('#case-notices'), seq, c, clk.clocks || []);
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        submit.disabled = false;
      }
    });
    return form;
  }

  function noticeCard(n, clock, c) {
    if (n.__error) return h('article', { class: 'notice' }, h('header', null, h('strong', { class: 'mono' }, n.notice_id)), errorBox(n.__error.message));
    const state = n.state || 'NOTICE_STATE_UNSPECIFIED';
    const stateClass = state.replace('NOTICE_STATE_', '').toLowerCase();
    const card = h('article', { class: 'notice notice-' + stateClass, dataset: { noticeId: n.notice_id || '', state } },
      h('header', null,
        h('strong', { class: 'mono' }, n.notice_id),
        h('span', { class: 'notice-state state-' + stateClass }, tv('notice.', state)),
        clock ? lightBadge(clock.light) : null),
      h('p', { class: 'notice-reason' }, n.reason || ''),
      h('dl', { class: 'facts compact' },
        fact(t('notice.issued_by'), [fmtTime(n.issued_at), n.issued_by ? ' · ' + actorText(n.issued_by) : ''].join('')),
        fact(t('notice.response_due'), [fmtTime(n.response_due), n.response_limit ? ' (' + fmtLimit(n.response_limit) + ')' : ''].join(''))));
    if (n.response) {
      card.appendChild(h('div', { class: 'notice-block' }, h('h4', null, t('notice.response')), h('p', null, n.response),
        h('p', { class: 'muted' }, [fmtTime(n.responded_at), actorText(n.responded_by)].filter(Boolean).join(' · '))));
    } else if (state === 'NOTICE_STATE_ISSUED') {
      card.appendChild(h('p', { class: 'muted' }, t('notice.awaiting')));
    }
    if (n.decision) {
      card.appendChild(h('div', { class: 'notice-block decision' }, h('h4', null, t('notice.decision')), h('p', null, n.decision),
        h('p', { class: 'muted' }, [fmtTime(n.decided_at), actorText(n.decided_by)].filter(Boolean).join(' · '))));
    }
    // What the caller may do next, and nothing else.
    if (isInspector()) {
      const overdue = state === 'NOTICE_STATE_ISSUED' && clock && clock.light === 'LIGHT_RED';
      if (state === 'NOTICE_STATE_ANSWERED' || overdue) card.appendChild(decideForm(n, c, overdue));
    } else if (isStaff() && state === 'NOTICE_STATE_ISSUED' && n.department_id === S.me.department_id) {
      card.appendChild(respondForm(n, c));
    }
    return card;
  }

  function decideForm(n, c, overdueOnly) {
    const text = h('textarea', { name: 'text', rows: '2', required: true });
    const error = h('p', { class: 'error', hidden: true, role: 'alert' });
    const form = h('form', { class: 'decide-form' },
      overdueOnly ? h('p', { class: 'note' }, t('notice.decide.hint')) : null,
      h('label', null, h('span', null, t('notice.decide.text')), text));
    const decide = async (decision) => {
      if (!text.value.trim()) { text.reportValidity(); return; }
      error.hidden = true;
      for (const b of $$('button', form)) b.disabled = true;
      try {
        const data = await post('/v1/notices/' + encodeURIComponent(n.notice_id) + ':decide', { decision, text: text.value.trim() });
        toast(t('notice.decided.ok', { id: n.notice_id, state: tv('notice.', (data.notice || {}).state || decision) }), '', null, 'info');
        await refreshCaseLive(S.renderSeq, c.case_id, true);
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        for (const b of $$('button', form)) b.disabled = false;
      }
    };
    const buttons = h('div', { class: 'row end' },
      overdueOnly ? null : h('button', { type: 'button', class: 'primary', dataset: { decision: 'accept' }, onclick: () => decide('NOTICE_STATE_ACCEPTED') }, t('notice.accept')),
      h('button', { type: 'button', class: 'primary danger', dataset: { decision: 'escalate' }, onclick: () => decide('NOTICE_STATE_ESCALATED') }, t('notice.escalate')));
    form.addEventListener('submit', (ev) => ev.preventDefault());
    append(form, [buttons, error]);
    return form;
  }

  function respondForm(n) {  // n: the notice
    const text = h('textarea', { name: 'response', rows: '3', required: true });
    const error = h('p', { class: 'error', hidden: true, role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'primary' }, t('notice.respond'));
    const form = h('form', { class: 'respond-form' },
      h('label', null, h('span', null, t('notice.respond.text')), text), h('div', { class: 'row end' }, submit), error);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      submit.disabled = true;
      error.hidden = true;
      try {
        await post('/v1/notices/' + encodeURIComponent(n.notice_id) + ':respond', { response: text.value.trim() });
        toast(t('notice.responded.ok', { id: n.notice_id }), '', null, 'info');
        await refreshCaseLive(S.renderSeq, n.case_id, true);
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        submit.disabled = false;
      }
    });
    return form;
  }

  // ------------------------------------------------------------------ search

  async function searchCase(number) {
    number = number.trim();
    if (!number) return;
    try {
      const data = await get('/v1/case-numbers/' + encodeURIComponent(number));
      const id = data.case && data.case.case_id;
      if (id) location.hash = '#/case/' + encodeURIComponent(id);
    } catch (e) {
      if (e.status === 401) return;
      if (e.status === 404) toast(t('search.notfound', { n: number }), '', null, 'warn');
      else toast(t('error.generic', { m: e.message }), '', null, 'warn');
    }
  }

  // ------------------------------------------------------------------ language and wall mode

  function applyLang() {
    document.documentElement.lang = S.lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('app.name') + ' · Sunlight';
    for (const el of $$('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of $$('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
    for (const el of $$('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
    for (const b of $$('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === S.lang));
    applyWall();
    renderUser();
  }

  function setLang(lang) {
    if (lang !== 'zh' && lang !== 'en') return;
    S.lang = lang;
    localStorage.setItem(LANG_KEY, lang);
    applyLang();
    if (S.token && S.me) rerender();
  }

  function applyWall() {
    const on = localStorage.getItem(WALL_KEY) === '1';
    document.body.classList.toggle('wall', on);
    const b = $('#wall-toggle');
    b.dataset.i18n = on ? 'wall.off' : 'wall.on';
    b.textContent = t(b.dataset.i18n);
    b.setAttribute('aria-pressed', String(on));
  }

  function tickClock() {
    $('#wall-clock').textContent = fmtClock(new Date());
  }

  // ------------------------------------------------------------------ start

  function init() {
    applyLang();
    tickClock();
    setInterval(tickClock, 1000);
    for (const b of $$('[data-lang]')) b.addEventListener('click', () => setLang(b.dataset.lang));
    $('#wall-toggle').addEventListener('click', () => {
      localStorage.setItem(WALL_KEY, localStorage.getItem(WALL_KEY) === '1' ? '0' : '1');
      applyWall();
    });
    $('#logout').addEventListener('click', () => logout());
    $('#search-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      searchCase($('#search-input').value);
    });
    $('#login-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const button = $('#login-submit');
      const box = $('#login-error');
      box.hidden = true;
      button.disabled = true;
      button.textContent = t('login.busy');
      try {
        await login($('#login-user').value.trim(), $('#login-password').value);
        $('#login-password').value = '';
        startSession();
      } catch (e) {
        box.textContent = e.message;
        box.classList.remove('info');
        box.hidden = false;
      } finally {
        button.disabled = false;
        button.textContent = t('login.submit');
      }
    });
    window.addEventListener('hashchange', () => { render(); window.scrollTo(0, 0); });
    // Another tab changed the language.
    window.addEventListener('storage', (ev) => {
      if (ev.key === LANG_KEY && ev.newValue && ev.newValue !== S.lang) setLang(ev.newValue);
      if (ev.key === WALL_KEY) applyWall();
    });

    if (!S.token) { showLogin(''); return; }
    try { S.me = JSON.parse(sessionStorage.getItem(ME_KEY) || 'null'); } catch (e) { S.me = null; }
    // Check the stored token before showing anything.
    get('/v1/me').then((me) => {
      S.me = Object.assign({}, S.me || {}, me);
      sessionStorage.setItem(ME_KEY, JSON.stringify(S.me));
      startSession();
    }).catch((e) => {
      if (e.status === 401) return;  // sessionEnded() already showed the login form
      if (S.me) startSession();
      else showLogin(e.message, true);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
