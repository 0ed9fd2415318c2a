"""Public datasets, one file each (as torchvision keeps its datasets): where the files are, how they
are laid out, what their labels mean, and the checksums that say they are intact.

- `uci_har`: UCI HAR's windows (Anguita et al. 2013), parsed, verified and cached.
- `hapt`: HAPT's raw recordings (Reyes-Ortiz et al. 2016), read into `Recording`s with per-sample labels.
- `geotec`: the GeoTec phone and watch recordings (CC BY 4.0): how its file names carry subject,
  trial and device.
"""
