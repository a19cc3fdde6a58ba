// Octet drives Debian's Chromium (/usr/bin/chromium); puppeteer must never download a browser.
module.exports = { skipDownload: true };
