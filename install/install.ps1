<#
.SYNOPSIS
  SentinelX installer for Windows: the README's install command.

.DESCRIPTION
  1. finds a Python >= 3.11 (the py launcher, python.exe, or $env:SENTINELX_PYTHON);
  2. creates a private venv in %LOCALAPPDATA%\sentinelx\venv and installs this clone into it
     (a copy, not editable, so the clone may move afterwards);
  3. runs `<venv>\Scripts\sentinelx.exe install`, which writes the .bat launcher, a manifest per
     browser found and the HKCU registry keys (HKLM with -System).
  Running it again changes nothing unless the source changed.

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File install\install.ps1
  powershell -ExecutionPolicy Bypass -File install\install.ps1 -Browser chrome -Browser firefox -DryRun
  powershell -ExecutionPolicy Bypass -File install\install.ps1 -Uninstall -Purge
#>
[CmdletBinding()]
param(
    [ValidateSet('chrome', 'chromium', 'edge', 'brave', 'vivaldi', 'firefox')]
    [string[]]$Browser = @(),
    [switch]$System,
    [switch]$DryRun,
    [switch]$Uninstall,
    [switch]$Purge
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$Repo = Split-Path -Parent $PSScriptRoot
# Same folder as platformdirs.user_data_dir("sentinelx", appauthor=False) on Windows.
$DataDir = if ($env:SENTINELX_DATA_DIR) { $env:SENTINELX_DATA_DIR } else { Join-Path $env:LOCALAPPDATA 'sentinelx' }
$Venv = Join-Path $DataDir 'venv'
$VenvPy = Join-Path $Venv 'Scripts\python.exe'
$VenvCmd = Join-Path $Venv 'Scripts\sentinelx.exe'
$StampFile = Join-Path $Venv '.sentinelx-source.sha256'

$PassArgs = @()
foreach ($b in $Browser) { $PassArgs += @('--browser', $b) }
if ($System) { $PassArgs += '--system' }
if ($DryRun) { $PassArgs += '--dry-run' }

function Invoke-Checked([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

# --- uninstall: the installed command removes everything but its own (running) venv ------------
if ($Uninstall) {
    # Lets the uninstall print a purge command that still works once its venv is gone.
    $env:SENTINELX_INSTALLER = $MyInvocation.MyCommand.Path
    if (-not (Test-Path $VenvCmd)) { throw "SentinelX is not installed in $Venv (nothing to uninstall)" }
    $u = $PassArgs + @('--keep-venv')
    if ($Purge) { $u += '--purge' }
    Invoke-Checked $VenvCmd (@('uninstall') + $u)
    if (-not $DryRun) {
        Remove-Item -Recurse -Force $Venv
        Write-Host "  removed       venv               $Venv"
        if ($Purge) {
            if (Test-Path $DataDir) { Remove-Item -Recurse -Force $DataDir }
        } elseif ((Test-Path $DataDir) -and -not (Get-ChildItem -Force $DataDir)) {
            Remove-Item -Force $DataDir
        }
    }
    exit 0
}

# --- 1. a Python >= 3.11 ---------------------------------------------------------------------
$Candidates = @()
if ($env:SENTINELX_PYTHON) { $Candidates += , @($env:SENTINELX_PYTHON) }
foreach ($v in '3.14', '3.13', '3.12', '3.11') { $Candidates += , @('py', "-$v") }
$Candidates += , @('python')
$Python = $null
foreach ($c in $Candidates) {
    if (-not (Get-Command $c[0] -ErrorAction SilentlyContinue)) { continue }
    $extra = @($c | Select-Object -Skip 1)
    # Windows PowerShell turns a native command's stderr into a terminating error under 'Stop'.
    try {
        $exe = & $c[0] @extra -c 'import sys; print(sys.executable if sys.version_info >= (3, 11) else "")' 2>$null
    } catch { continue }
    if ($LASTEXITCODE -eq 0 -and $exe) { $Python = "$exe".Trim(); break }
}
if (-not $Python) {
    throw 'SentinelX needs Python 3.11 or newer: install it from https://www.python.org/downloads/ or with "winget install Python.Python.3.12", or set SENTINELX_PYTHON.'
}

# --- 2. the private venv -----------------------------------------------------------------------
$Files = Get-ChildItem -Recurse -File (Join-Path $Repo 'host'), (Join-Path $Repo 'pyproject.toml'), (Join-Path $Repo 'README.md') |
    Where-Object { $_.FullName -notmatch '__pycache__|\.egg-info' } | Sort-Object FullName
$Hashes = ($Files | ForEach-Object { (Get-FileHash -Algorithm SHA256 $_.FullName).Hash }) -join "`n"
$Bytes = [Text.Encoding]::UTF8.GetBytes("$Python`n$Hashes")
$Stamp = [BitConverter]::ToString([Security.Cryptography.SHA256]::Create().ComputeHash($Bytes)) -replace '-', ''
$Current = (Test-Path $VenvPy) -and (Test-Path $StampFile) -and ((Get-Content $StampFile -Raw).Trim() -eq $Stamp)

if ($DryRun) {
    if ($Current) {
        Write-Host "  unchanged     venv               $Venv"
        Invoke-Checked $VenvPy (@('-m', 'sentinelx', 'install', '--launcher-python', $VenvPy, '--extension-dir', (Join-Path $Repo 'extension')) + $PassArgs)
    } else {
        Write-Host "  would create  venv               $Venv (pip install $Repo)"
        $Tmp = Join-Path ([IO.Path]::GetTempPath()) ("sentinelx-" + [guid]::NewGuid())
        try {
            Invoke-Checked $Python @('-m', 'venv', $Tmp)
            Invoke-Checked (Join-Path $Tmp 'Scripts\python.exe') @('-m', 'pip', 'install', '--quiet', 'platformdirs')
            $env:PYTHONPATH = Join-Path $Repo 'host'
            Invoke-Checked (Join-Path $Tmp 'Scripts\python.exe') (@('-m', 'sentinelx', 'install', '--launcher-python', $VenvPy, '--extension-dir', (Join-Path $Repo 'extension')) + $PassArgs)
        } finally {
            Remove-Item Env:PYTHONPATH -ErrorAction SilentlyContinue
            Remove-Item -Recurse -Force $Tmp -ErrorAction SilentlyContinue
        }
    }
    exit 0
}

if ($Current) {
    Write-Host "  unchanged     venv               $Venv"
} else {
    if ((Test-Path $Venv) -and -not (Test-Path $VenvPy)) { Remove-Item -Recurse -Force $Venv }
    Write-Host "  creating      venv               $Venv (pip install, about a minute)"
    New-Item -ItemType Directory -Force $DataDir | Out-Null
    Invoke-Checked $Python @('-m', 'venv', $Venv)
    # Build from a copy: pip's in-tree build would leave build\ and *.egg-info in the clone.
    $Src = Join-Path ([IO.Path]::GetTempPath()) ("sentinelx-src-" + [guid]::NewGuid())
    try {
        New-Item -ItemType Directory $Src | Out-Null
        Copy-Item -Recurse (Join-Path $Repo 'host'), (Join-Path $Repo 'pyproject.toml'), (Join-Path $Repo 'README.md') $Src
        Get-ChildItem -Directory (Join-Path $Src 'host') -Filter '*.egg-info' | Remove-Item -Recurse -Force
        Invoke-Checked $VenvPy @('-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', $Src)
    } finally {
        Remove-Item -Recurse -Force $Src -ErrorAction SilentlyContinue
    }
    Set-Content -Path $StampFile -Value $Stamp -Encoding ascii
}

# --- 3. launcher, manifests, registry keys, config: the package does the rest -------------------
Invoke-Checked $VenvCmd (@('install', '--extension-dir', (Join-Path $Repo 'extension')) + $PassArgs)
