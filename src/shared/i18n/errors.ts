// errors strings, Vietnamese first: what the console API, the run command and the IT command line
// tell a teacher or IT staff when something goes wrong. Keys are 'errors.<name>'.
import type { Catalogue } from './index.js';

export const errorsCatalogue: Catalogue = {
  vi: {
    'errors.badRequest': 'Yêu cầu không hợp lệ: {detail}',
    'errors.unknownMethod': 'Bảng điều khiển không có chức năng "{method}".',
    'errors.unauthorized': 'Phiên làm việc không hợp lệ hoặc đã hết. Hãy mở lại SafeLab từ địa chỉ mà bảng điều khiển in ra.',
    'errors.hostRefused': 'Từ chối yêu cầu: bảng điều khiển chỉ nhận yêu cầu từ chính máy này (127.0.0.1).',
    'errors.requestTooLarge': 'Yêu cầu quá lớn (tối đa {limit} byte).',
    'errors.internal': 'Bảng điều khiển gặp lỗi bên trong: {detail}. Hãy thử lại; nếu vẫn lỗi, báo cho cán bộ tin học.',
    'errors.labNotFound': 'Không tìm thấy phòng máy "{lab}".',
    'errors.labNameTaken': 'Đã có phòng máy tên "{name}". Hãy chọn tên khác.',
    'errors.machineNotFound': 'Không tìm thấy máy "{machine}" (có thể máy đã bị xóa).',
    'errors.enrolmentNotFound': 'Không tìm thấy mã ghi danh này (có thể đã hết hạn hoặc bị thu hồi).',
    'errors.lessonAlreadyRunning': 'Phòng máy "{lab}" đang có tiết học của lớp {className}. Hãy kết thúc tiết đó trước.',
    'errors.consoleNotRunning':
      'Bảng điều khiển SafeLab chưa chạy (không thấy {file}). Hãy mở SafeLab trên máy giáo viên (npm start), hoặc chỉ đúng thư mục dữ liệu bằng --data-dir.',
    'errors.consoleUnreachable': 'Không liên lạc được với bảng điều khiển SafeLab tại {url} ({reason}). Có thể nó vừa tắt; hãy mở lại SafeLab.',
    'errors.consoleAlreadyRunning': 'SafeLab đã đang chạy với thư mục dữ liệu này (tiến trình {pid}). Hãy dùng cửa sổ đang mở.',
    'errors.portInUse': 'Cổng {port} đang bị một chương trình khác dùng. Hãy tắt chương trình đó hoặc chọn cổng khác ({option}).',
    'errors.electronMissing': 'Chưa cài Electron nên SafeLab chạy ở chế độ web. Mở địa chỉ sau bằng trình duyệt trên máy này:',
    'errors.uiNotBuilt': 'Giao diện chưa được đóng gói (thiếu {dir}). Hãy chạy npm run build.',
    'errors.agentNotBuilt': 'Chưa có chương trình agent ({file}), nên không chạy được phòng máy demo. Hãy chạy npm run build.',
    'errors.noMachinesSelected': 'Chưa chọn máy nào: hãy dùng --lab, --machines hoặc --all.',
    'errors.usage': 'Cách dùng sai: {detail}. Xem "help".',
  },
  en: {
    'errors.badRequest': 'Invalid request: {detail}',
    'errors.unknownMethod': 'The console has no function "{method}".',
    'errors.unauthorized': 'Invalid or expired session. Open SafeLab again from the address the console printed.',
    'errors.hostRefused': 'Request refused: the console only accepts requests from this computer (127.0.0.1).',
    'errors.requestTooLarge': 'Request too large (at most {limit} bytes).',
    'errors.internal': 'The console hit an internal error: {detail}. Try again; if it keeps failing, tell IT staff.',
    'errors.labNotFound': 'Lab "{lab}" not found.',
    'errors.labNameTaken': 'A lab named "{name}" already exists. Choose another name.',
    'errors.machineNotFound': 'Machine "{machine}" not found (it may have been removed).',
    'errors.enrolmentNotFound': 'This enrolment code was not found (it may have expired or been revoked).',
    'errors.lessonAlreadyRunning': 'Lab "{lab}" already has a lesson running for class {className}. End that lesson first.',
    'errors.consoleNotRunning':
      'The SafeLab console is not running (no {file}). Start SafeLab on the teacher PC (npm start), or point to the right data folder with --data-dir.',
    'errors.consoleUnreachable': 'Cannot reach the SafeLab console at {url} ({reason}). It may have just stopped; start SafeLab again.',
    'errors.consoleAlreadyRunning': 'SafeLab is already running with this data folder (process {pid}). Use the window that is open.',
    'errors.portInUse': 'Port {port} is used by another program. Close that program or choose another port ({option}).',
    'errors.electronMissing': 'Electron is not installed, so SafeLab runs in web mode. Open this address in a browser on this computer:',
    'errors.uiNotBuilt': 'The user interface is not built ({dir} is missing). Run npm run build.',
    'errors.agentNotBuilt': 'The agent program ({file}) is missing, so the demo lab cannot run. Run npm run build.',
    'errors.noMachinesSelected': 'No machines selected: use --lab, --machines or --all.',
    'errors.usage': 'Wrong usage: {detail}. See "help".',
  },
};
