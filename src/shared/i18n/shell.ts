// shell strings, Vietnamese first: what the desktop shell itself shows (tray menu, start-up
// failure box, refused bridge calls). Keys are 'shell.<name>'.
import type { Catalogue } from './index.js';

export const shellCatalogue: Catalogue = {
  vi: {
    'shell.tray.tooltip': 'SafeLab: bảng điều khiển phòng máy',
    'shell.tray.show': 'Mở cửa sổ SafeLab',
    'shell.tray.quit': 'Thoát SafeLab (ngắt kết nối các máy học sinh)',
    'shell.startFailed.title': 'SafeLab không khởi động được',
    'shell.startFailed.body': '{detail}\n\nThư mục dữ liệu: {dataDir}',
    'shell.badOptions': 'Tham số dòng lệnh sai: {detail}',
    'shell.untrustedSender': 'Từ chối yêu cầu: nó không đến từ cửa sổ SafeLab.',
  },
  en: {
    'shell.tray.tooltip': 'SafeLab: lab console',
    'shell.tray.show': 'Show the SafeLab window',
    'shell.tray.quit': 'Quit SafeLab (disconnects the student PCs)',
    'shell.startFailed.title': 'SafeLab could not start',
    'shell.startFailed.body': '{detail}\n\nData folder: {dataDir}',
    'shell.badOptions': 'Wrong command-line option: {detail}',
    'shell.untrustedSender': 'Request refused: it did not come from the SafeLab window.',
  },
};
