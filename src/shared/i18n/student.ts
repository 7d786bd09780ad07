// student strings, Vietnamese first: what a student sees on the lab PC (lock screen, monitoring
// indicator, teacher messages, help button). Keys are 'student.<name>'.
import type { Catalogue } from './index.js';

export const studentCatalogue: Catalogue = {
  vi: {
    'student.lock.title': 'Màn hình đã được khóa',
    'student.lock.byTeacher': 'Giáo viên đã tạm khóa máy này.',
    'student.lock.defaultMessage': 'Các em hãy chú ý lên bảng và nghe giáo viên.',
    'student.indicator.monitored': 'Giáo viên có thể xem màn hình này',
    'student.indicator.monitoredLesson': 'Tiết học {className}: giáo viên có thể xem màn hình này',
    'student.message.title': 'Tin nhắn từ giáo viên',
    'student.message.close': 'Đóng',
    'student.help.button': 'Em cần giúp đỡ / Báo nội dung xấu',
    'student.help.hotline': 'Tổng đài quốc gia bảo vệ trẻ em: 111 (miễn phí, 24/7)',
    'student.screen.user': 'Người dùng: {user}',
    'student.screen.noUser': 'Chưa đăng nhập',
  },
  en: {
    'student.lock.title': 'Screen locked',
    'student.lock.byTeacher': 'Your teacher has locked this computer for a moment.',
    'student.lock.defaultMessage': 'Please look at the board and listen to your teacher.',
    'student.indicator.monitored': 'Your teacher can see this screen',
    'student.indicator.monitoredLesson': 'Lesson {className}: your teacher can see this screen',
    'student.message.title': 'Message from your teacher',
    'student.message.close': 'Close',
    'student.help.button': 'I need help / Report harmful content',
    'student.help.hotline': 'National child protection hotline: 111 (free, 24/7)',
    'student.screen.user': 'User: {user}',
    'student.screen.noUser': 'Nobody signed in',
  },
};
