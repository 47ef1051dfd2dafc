#pragma once

#include "model/TrayOptions.h"

#include <QObject>

#include <memory>

class QIODevice;

namespace forgewire {

class HeadlessPrinter;
class TokenStore;
class TrayController;

// `forgewire-tray --headless`: the saved settings with the command line's overrides, the token from
// the environment, a file or the keychain, a TrayController and a HeadlessPrinter on `out`.
class HeadlessRunner : public QObject
{
    Q_OBJECT
public:
    HeadlessRunner(const TrayOptions& options, QIODevice* out, QObject* parent = nullptr);
    ~HeadlessRunner() override;

    // Starts connecting. An error (nothing to connect to, unreadable token file) means exit code 2.
    QString start();

private:
    TrayOptions m_options;
    std::unique_ptr<TrayController> m_controller;
    std::unique_ptr<HeadlessPrinter> m_printer;
    TokenStore* m_tokens = nullptr;
};

} // namespace forgewire
