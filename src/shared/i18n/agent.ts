// agent strings, Vietnamese first: what IT staff read from the agent command line (enrolment,
// status, start-up problems). Keys are 'agent.<name>'.
import type { Catalogue } from './index.js';

export const agentCatalogue: Catalogue = {
  vi: {
    'agent.error': 'Lỗi',
    'agent.usage': 'Cách dùng sai: {detail}',
    'agent.notEnrolled':
      'Máy này chưa được ghi danh với máy giáo viên (thư mục dữ liệu {dataDir}). Hãy chạy: enrol --console wss://MAY-GIAO-VIEN:47100/agent --code MA-GHI-DANH',
    'agent.removed':
      'Máy giáo viên không còn nhận máy này (đã bị xóa khỏi bảng điều khiển hoặc khóa không hợp lệ). Hãy ghi danh lại bằng mã mới.',
    'agent.configCorrupt': 'Tệp {path} bị hỏng ({reason}). Hãy ghi danh lại máy này.',
    'agent.configUnreadable': 'Không đọc được tệp {path} ({reason}).',
    'agent.stateCorrupt': 'Tệp trạng thái {path} bị hỏng ({reason}); đã chuyển sang {movedTo} và bắt đầu ở trạng thái mở khóa.',
    'agent.certificateMismatch':
      'Chứng chỉ của máy chủ tại {url} không khớp với máy giáo viên đã ghi danh (vân tay {actual}). Không gửi gì; sẽ thử lại.',
    'agent.enrol.codeFormat': 'Mã ghi danh không đúng định dạng (ví dụ K7Q2-M9XD-4HTB).',
    'agent.enrol.codeRejected':
      'Máy giáo viên từ chối mã ghi danh: mã sai hoặc đã hết hạn. Hãy tạo mã mới trên máy giáo viên.',
    'agent.enrol.unreachable':
      'Không kết nối được tới máy giáo viên tại {url} ({reason}). Hãy kiểm tra SafeLab đang chạy trên máy giáo viên, địa chỉ và tường lửa (cổng 47100).',
    'agent.enrol.certificateMismatch':
      'Chứng chỉ của máy chủ tại {url} không khớp với tệp ghi danh (vân tay {actual}). Có thể đó không phải máy giáo viên; chưa gửi gì cả.',
    'agent.enrol.consoleProofInvalid':
      'Máy chủ tại {url} không chứng minh được nó biết mã ghi danh; có thể đó là máy giả mạo. Máy này chưa được ghi danh.',
    'agent.enrol.rateLimited': 'Có quá nhiều lần thử ghi danh từ máy này. Hãy đợi một phút rồi thử lại.',
    'agent.enrol.timeout': 'Máy giáo viên tại {url} không trả lời trong {seconds} giây.',
    'agent.enrol.closed': 'Máy giáo viên đóng kết nối trước khi ghi danh xong (mã {code}).',
    'agent.enrol.badUrl': 'Địa chỉ máy giáo viên không hợp lệ: {url} (cần dạng wss://MAY-GIAO-VIEN:47100/agent).',
    'agent.enrol.fileInvalid': 'Tệp ghi danh {path} không hợp lệ: {reason}.',
    'agent.enrol.fileExpired':
      'Theo đồng hồ máy này, tệp ghi danh đã hết hạn; vẫn thử vì đồng hồ máy có thể sai.',
    'agent.enrol.done': 'Đã ghi danh máy {hostname} (mã máy {machineId}) với máy giáo viên {url}.',
    'agent.platform.unavailable':
      'Không mở được màn hình học sinh: {reasons}. Dùng --platform simulated để chạy máy mô phỏng.',
    'agent.platform.win32Missing': 'bộ trợ giúp phiên Windows chưa có trong bản dựng này',
    'agent.platform.notLinux': 'không phải Linux',
    'agent.platform.noDisplay': 'biến DISPLAY chưa được đặt',
    'agent.platform.noDisplayFound':
      'không có DISPLAY và không tìm thấy màn hình X nào đang chạy trên máy này (máy chưa vào giao diện đồ hoạ?); nếu biết màn hình, chạy lại với --display :0',
    'agent.platform.notWindows': 'không phải Windows',
    'agent.desktop.keepTrying':
      'Chưa mở được màn hình học sinh ({reason}). Agent vẫn chạy: bộ lọc web và kết nối với máy giáo viên hoạt động, máy giáo viên thấy sự cố này; agent tự thử lại. Khoá màn hình, xem màn hình và tin nhắn chỉ hoạt động khi mở được màn hình.',
  },
  en: {
    'agent.error': 'Error',
    'agent.usage': 'Wrong usage: {detail}',
    'agent.notEnrolled':
      'This PC is not enrolled with a teacher console (data directory {dataDir}). Run: enrol --console wss://TEACHER-PC:47100/agent --code ENROLMENT-CODE',
    'agent.removed':
      'The teacher console no longer accepts this PC (it was removed from the console or its key is not valid). Enrol it again with a new code.',
    'agent.configCorrupt': 'The file {path} is damaged ({reason}). Enrol this PC again.',
    'agent.configUnreadable': 'Cannot read the file {path} ({reason}).',
    'agent.stateCorrupt': 'The state file {path} is damaged ({reason}); moved it to {movedTo} and starting unlocked.',
    'agent.certificateMismatch':
      'The server at {url} does not present the certificate of the console this PC enrolled with (fingerprint {actual}). Nothing was sent; will retry.',
    'agent.enrol.codeFormat': 'The enrolment code is not in the right form (example K7Q2-M9XD-4HTB).',
    'agent.enrol.codeRejected':
      'The teacher console refused the enrolment code: it is wrong or has expired. Create a new code on the teacher PC.',
    'agent.enrol.unreachable':
      'Cannot reach the teacher console at {url} ({reason}). Check that SafeLab runs on the teacher PC, the address, and the firewall (port 47100).',
    'agent.enrol.certificateMismatch':
      'The server at {url} presents a certificate that does not match the enrolment file (fingerprint {actual}). It may not be the teacher PC; nothing was sent.',
    'agent.enrol.consoleProofInvalid':
      'The server at {url} could not prove it knows the enrolment code; it may be an impostor. This PC was not enrolled.',
    'agent.enrol.rateLimited': 'Too many enrolment attempts from this PC. Wait a minute and try again.',
    'agent.enrol.timeout': 'The teacher console at {url} did not answer within {seconds} seconds.',
    'agent.enrol.closed': 'The teacher console closed the connection before enrolment finished (code {code}).',
    'agent.enrol.badUrl': 'Not a valid teacher console address: {url} (expected wss://TEACHER-PC:47100/agent).',
    'agent.enrol.fileInvalid': 'The enrolment file {path} is not valid: {reason}.',
    'agent.enrol.fileExpired':
      "By this PC's clock the enrolment file has expired; trying anyway because the clock may be wrong.",
    'agent.enrol.done': 'Enrolled {hostname} (machine id {machineId}) with the teacher console at {url}.',
    'agent.platform.unavailable':
      "Cannot open the student's desktop: {reasons}. Use --platform simulated to run a simulated PC.",
    'agent.platform.win32Missing': 'the Windows session helper is not part of this build yet',
    'agent.platform.notLinux': 'not Linux',
    'agent.platform.noDisplay': 'DISPLAY is not set',
    'agent.platform.noDisplayFound':
      'no DISPLAY, and no running X display was found on this PC (has it reached the graphical login?); if you know the display, run again with --display :0',
    'agent.platform.notWindows': 'not Windows',
    'agent.desktop.keepTrying':
      "Cannot open the student's desktop yet ({reason}). The agent runs on: the web filter and the link to the teacher console work, the console shows this problem, and the agent keeps trying. Locking, screen pictures and messages work once the desktop opens.",
  },
};
