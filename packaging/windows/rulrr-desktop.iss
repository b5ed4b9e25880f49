; Inno Setup script for Rulrr Desktop (Windows 10/11, per-user: no administrator rights asked).
; Built by packaging/windows/build-installer.ps1 after `python packaging/build.py`:
;   iscc /DAppVersion=0.1.0 /DPartnerName="Acme POS" /DSourceDir=..\..\dist\rulrr-desktop rulrr-desktop.iss
; What it does: installs into %LOCALAPPDATA%\Programs\Rulrr Desktop, adds a Start menu entry, optionally starts
; the app at sign-in (the same HKCU Run value the app's own Settings switch writes), and its uninstaller asks
; whether to keep the settings and sync history (kept by default, and always in a silent uninstall).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef PartnerName
  #define PartnerName "Rulrr"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\rulrr-desktop"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#define AppName "Rulrr Desktop"
#define GuiExe "Rulrr Desktop.exe"
#define CliExe "rulrr-desktop.exe"

[Setup]
AppId={{6E0C3B52-5B0B-4C55-9A57-2B3F5E0D7A11}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#PartnerName}
AppComments=Sends your store's sales to Rulrr.
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=rulrr-desktop-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#GuiExe}
UninstallDisplayName={#AppName}
CloseApplications=yes
RestartApplications=no
; Code signing: build-installer.ps1 passes /DSignToolCmd when WINDOWS_SIGN_* are set (see the README).
#ifdef SignToolCmd
SignTool=rulrrsign
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "startatlogin"; Description: "Start {#AppName} when I sign in to Windows (recommended: it syncs in the background)"; GroupDescription: "Background sync:"
Name: "desktopicon"; Description: "Create a desktop shortcut"; GroupDescription: "Shortcuts:"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{userprograms}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Comment: "Sends your store's sales to Rulrr"
Name: "{userdesktop}\{#AppName}"; Filename: "{app}\{#GuiExe}"; Tasks: desktopicon

[Registry]
; The same value name and data the app writes (rulrr_desktop/core/autostart.py): the app can switch it off later.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "{#AppName}"; ValueData: """{app}\{#GuiExe}"""; Tasks: startatlogin; Flags: uninsdeletevalue

[Run]
Filename: "{app}\{#GuiExe}"; Description: "Open {#AppName} now"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; Stop a running app before its files go (the tray app holds them open).
Filename: "{sys}\taskkill.exe"; Parameters: "/F /IM ""{#GuiExe}"""; Flags: runhidden; RunOnceId: "StopApp"

[UninstallDelete]
Type: filesandordirs; Name: "{app}"

[Code]
var
  RemoveData: Boolean;

function InitializeUninstall(): Boolean;
begin
  RemoveData := False;
  if not UninstallSilent() then
    RemoveData := MsgBox('Also delete your Rulrr Desktop settings, sync history and logs, and disconnect from Rulrr?'
      + #13#10#13#10 + 'Choose No to keep them: reinstalling later carries on where you left off.',
      mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
  Result := True;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  ResultCode: Integer;
begin
  if RemoveData and (CurUninstallStep = usUninstall) then
    { Deletes the tokens from Windows Credential Manager while the program is still there. }
    Exec(ExpandConstant('{app}\{#CliExe}'), 'disconnect', '', SW_HIDE, ewWaitUntilTerminated, ResultCode);
  if RemoveData and (CurUninstallStep = usPostUninstall) then
    { platformdirs' folders for appname "rulrr-desktop": settings, data and logs all live here on Windows. }
    DelTree(ExpandConstant('{localappdata}\rulrr-desktop'), True, True, True);
end;
